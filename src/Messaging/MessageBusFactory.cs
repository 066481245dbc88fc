using Azure.Core;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging;

/// <summary>
/// The one place both hosts choose an adapter from their connection setting:
/// <list type="bullet">
/// <item>a Service Bus connection string (<c>Endpoint=sb://…</c>) or a bare namespace (<c>&lt;ns&gt;.servicebus.windows.net</c>)
/// → <see cref="ServiceBusMessageBus"/> (the official SDK): with its SAS key, or with <c>credential</c> when it has none;</item>
/// <item><c>amqp://</c> or <c>amqps://</c> → <see cref="AmqpMessageBus"/> (AMQPNetLite), for generic AMQP 1.0 brokers such as
/// RabbitMQ; the address carries its own user and password, and <c>credential</c> is not used.</item>
/// </list>
/// (The in-memory bus is chosen by the hosts themselves when nothing is configured.)
/// </summary>
public static class MessageBusFactory
{
    /// <exception cref="MessagingException">
    /// invalid-connection-string, credential-required for a key-less Service Bus setting without a credential, or
    /// service-bus-needs-sdk-adapter for an amqp:// address of a Service Bus namespace.
    /// </exception>
    public static IMessageBus Create(
        string connection,
        MessageBusOptions? options = null,
        TokenCredential? credential = null,
        ILoggerFactory? loggerFactory = null)
    {
        switch (Choose(connection, credential is not null))
        {
            case AmqpConnectionSettings:
                return AmqpMessageBus.Create(connection.Trim(), options as AmqpMessageBusOptions ?? AmqpOptionsFrom(options), loggerFactory);
            case ServiceBusConnectionSettings { HasSharedAccessKey: true }:
                return ServiceBusMessageBus.Create(connection.Trim(), options, loggerFactory);
            case ServiceBusConnectionSettings keyless:
                return ServiceBusMessageBus.Create(keyless.Host, credential!, options, loggerFactory);
            default:
                return ServiceBusMessageBus.Create(connection.Trim(), credential!, options, loggerFactory);
        }
    }

    /// <summary>Checks a bus setting as <see cref="Create"/> would, without creating anything (for option validation at start).</summary>
    /// <exception cref="MessagingException">As <see cref="Create"/>.</exception>
    public static void Validate(string connection, bool hasCredential) => Choose(connection, hasCredential);

    /// <returns>The parsed settings of the adapter that takes <paramref name="connection"/>, or null for a bare Service Bus namespace.</returns>
    private static object? Choose(string connection, bool hasCredential)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new MessagingException(MessagingErrors.InvalidConnectionString, "The bus connection setting is empty.");
        }

        var text = connection.Trim();
        if (text.StartsWith("amqp://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase))
        {
            return AmqpConnectionSettings.Parse(text);
        }

        if (text.Contains('=', StringComparison.Ordinal))
        {
            return ServiceBusConnectionSettings.Parse(text, hasCredential);
        }

        // A bare namespace: what the Bicep outputs and the managed-identity setting carry.
        if (Uri.CheckHostName(text) != UriHostNameType.Dns)
        {
            throw new MessagingException(MessagingErrors.InvalidConnectionString, $"'{text}' is neither a Service Bus namespace (<ns>.servicebus.windows.net), a connection string nor an amqp:// address.");
        }

        return hasCredential
            ? null
            : throw new MessagingException(MessagingErrors.CredentialRequired, $"The Service Bus namespace {text} needs a TokenCredential (e.g. ManagedIdentityCredential).");
    }

    private static AmqpMessageBusOptions AmqpOptionsFrom(MessageBusOptions? options) => options is null
        ? new AmqpMessageBusOptions()
        : new AmqpMessageBusOptions
        {
            RetryDelay = options.RetryDelay,
            MaxRetryDelay = options.MaxRetryDelay,
            PublishTimeout = options.PublishTimeout,
            MaxAutoLockRenewalDuration = options.MaxAutoLockRenewalDuration,
            TimeProvider = options.TimeProvider,
            Random = options.Random,
        };
}
