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
/// <item><c>amqp://</c> or <c>amqps://</c> → <see cref="AmqpMessageBus"/> (AMQPNetLite), for generic AMQP 1.0 brokers such as RabbitMQ.</item>
/// </list>
/// (The in-memory bus is chosen by the hosts themselves when nothing is configured.)
/// </summary>
public static class MessageBusFactory
{
    /// <exception cref="MessagingException">invalid-connection-string, or credential-required for a key-less Service Bus setting without a credential.</exception>
    public static IMessageBus Create(
        string connection,
        MessageBusOptions? options = null,
        TokenCredential? credential = null,
        ILoggerFactory? loggerFactory = null)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new MessagingException(MessagingErrors.InvalidConnectionString, "The bus connection setting is empty.");
        }

        var text = connection.Trim();
        if (text.StartsWith("amqp://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase))
        {
            var amqpOptions = options as AmqpMessageBusOptions ?? AmqpOptionsFrom(options);
            return AmqpMessageBus.Create(text, amqpOptions, credential, loggerFactory);
        }

        if (!text.Contains('=', StringComparison.Ordinal))
        {
            // A bare namespace: what the Bicep outputs and the managed-identity setting carry.
            if (Uri.CheckHostName(text) != UriHostNameType.Dns)
            {
                throw new MessagingException(MessagingErrors.InvalidConnectionString, $"'{text}' is neither a Service Bus namespace (<ns>.servicebus.windows.net), a connection string nor an amqp:// address.");
            }

            return credential is null
                ? throw new MessagingException(MessagingErrors.CredentialRequired, $"The Service Bus namespace {text} needs a TokenCredential (e.g. ManagedIdentityCredential).")
                : ServiceBusMessageBus.Create(text, credential, options, loggerFactory);
        }

        // Validates the string with the same messages as before (never echoing a key) and tells SAS from Entra ID.
        var settings = AmqpConnectionSettings.Parse(text, credential is not null);
        return settings.Authentication == AmqpAuthentication.SaslPlain
            ? ServiceBusMessageBus.Create(text, options, loggerFactory)
            : ServiceBusMessageBus.Create(settings.Host, credential!, options, loggerFactory);
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
