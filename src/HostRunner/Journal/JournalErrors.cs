namespace GpuAutomation.HostRunner.Journal;

public static class JournalErrors
{
    /// <summary>Another agent process holds the journal folder.</summary>
    public const string InUse = "journal-in-use";

    public const string Corrupt = "journal-corrupt";

    public const string WriteFailed = "journal-write-failed";
}
