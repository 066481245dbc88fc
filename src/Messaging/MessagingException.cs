namespace GpuAutomation.Messaging;

/// <summary>The one exception type of the bus, with a stable <see cref="Code"/> from <see cref="MessagingErrors"/>.</summary>
public sealed class MessagingException : Exception
{
    public MessagingException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public MessagingException()
        : this(MessagingErrors.BrokerUnavailable, "The message bus failed.")
    {
    }

    public MessagingException(string message)
        : this(MessagingErrors.BrokerUnavailable, message)
    {
    }

    public MessagingException(string message, Exception innerException)
        : this(MessagingErrors.BrokerUnavailable, message, innerException)
    {
    }

    public string Code { get; }
}
