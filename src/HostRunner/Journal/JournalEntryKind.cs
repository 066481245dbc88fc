namespace GpuAutomation.HostRunner.Journal;

public enum JournalEntryKind
{
    /// <summary>A command arrived; <see cref="JournalEntry.Message"/> holds it as it came off the bus.</summary>
    Received,

    /// <summary>A step finished (succeeded, already done or failed).</summary>
    Step,

    /// <summary>The command ended; <see cref="JournalEntry.Result"/> holds what is reported.</summary>
    Completed,

    /// <summary>The broker accepted the result: nothing is left to do for this command.</summary>
    Reported,
}
