namespace GpuAutomation.Functions.Hosting;

/// <summary>A trigger invocation that failed and should be retried by whoever drives it, with a stable code.</summary>
public sealed class TriggerFailureException : Exception
{
    public TriggerFailureException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public TriggerFailureException()
        : this(RejectionCodes.HandlerFailed, "The trigger invocation failed.")
    {
    }

    public TriggerFailureException(string message)
        : this(RejectionCodes.HandlerFailed, message)
    {
    }

    public TriggerFailureException(string message, Exception innerException)
        : this(RejectionCodes.HandlerFailed, message, innerException)
    {
    }

    /// <summary>One of <see cref="RejectionCodes"/>.</summary>
    public string Code { get; }
}
