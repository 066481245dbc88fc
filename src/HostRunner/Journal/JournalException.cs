namespace GpuAutomation.HostRunner.Journal;

/// <summary>The journal can't be opened or written; <see cref="Code"/> is one of <see cref="JournalErrors"/>.</summary>
public sealed class JournalException : Exception
{
    public JournalException(string code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    public JournalException()
        : this(JournalErrors.WriteFailed, "The command journal failed.")
    {
    }

    public JournalException(string message)
        : this(JournalErrors.WriteFailed, message)
    {
    }

    public JournalException(string message, Exception innerException)
        : this(JournalErrors.WriteFailed, message, innerException)
    {
    }

    public string Code { get; }
}
