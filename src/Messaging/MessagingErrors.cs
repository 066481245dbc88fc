namespace GpuAutomation.Messaging;

/// <summary>Stable codes of <see cref="MessagingException"/>.</summary>
public static class MessagingErrors
{
    /// <summary>The connection string can't be used; the message says which part (never the key).</summary>
    public const string InvalidConnectionString = "invalid-connection-string";

    /// <summary>A Service Bus setting was given to the AMQP 1.0 adapter, which is for generic brokers only (Service Bus goes through the SDK adapter).</summary>
    public const string ServiceBusNeedsSdkAdapter = "service-bus-needs-sdk-adapter";

    /// <summary>A Service Bus connection string without a key needs a TokenCredential.</summary>
    public const string CredentialRequired = "credential-required";

    /// <summary>The broker refused the credentials or the token.</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>The broker could not be reached or kept dropping the connection past the retry budget.</summary>
    public const string BrokerUnavailable = "broker-unavailable";

    /// <summary>The broker refused the message (e.g. unknown queue, too large).</summary>
    public const string PublishRejected = "publish-rejected";

    /// <summary>The queue does not exist on the broker (Service Bus: amqp:not-found on the link; RabbitMQ: no such queue).</summary>
    public const string QueueNotFound = "queue-not-found";

    /// <summary>The broker refused a link to the queue for another reason than rights or existence (e.g. a disabled entity).</summary>
    public const string QueueRefused = "queue-refused";

    /// <summary>The bus was disposed.</summary>
    public const string Closed = "bus-closed";
}
