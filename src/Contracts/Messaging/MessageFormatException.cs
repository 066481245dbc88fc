namespace GpuAutomation.Contracts.Messaging;

/// <summary>An incoming message that can never be processed, with a stable code saying why.</summary>
public sealed class MessageFormatException : Exception
{
    public MessageFormatException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public MessageFormatException()
        : this(MessageFormatErrors.MalformedJson, "The message could not be read.")
    {
    }

    public MessageFormatException(string message)
        : this(MessageFormatErrors.MalformedJson, message)
    {
    }

    public MessageFormatException(string message, Exception innerException)
        : this(MessageFormatErrors.MalformedJson, message, innerException)
    {
    }

    /// <summary>One of <see cref="MessageFormatErrors"/>.</summary>
    public string Code { get; }
}
