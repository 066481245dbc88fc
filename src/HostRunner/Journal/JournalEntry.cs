using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.HostRunner.Journal;

/// <summary>One line of the journal file.</summary>
/// <param name="Message">For Received: the command as UTF-8 JSON in the wire format of MessageCodec.</param>
/// <param name="Step">For Step: the step as it finished.</param>
/// <param name="Memo">For Step: what later steps or a resume must know (e.g. the VM's power state before it was stopped).</param>
/// <param name="Result">For Completed: the result to report (and to re-send for a duplicate).</param>
/// <param name="TraceParent">For Received: the W3C context the command arrived in, so its execution (also after a restart) joins that trace.</param>
public sealed record JournalEntry(
    JournalEntryKind Kind,
    string CommandId,
    DateTimeOffset At,
    string? Message = null,
    StepRecord? Step = null,
    string? Memo = null,
    CommandResult? Result = null,
    string? TraceParent = null);
