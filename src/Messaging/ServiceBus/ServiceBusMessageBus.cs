using System.Collections.Concurrent;
using Azure.Core;
using Azure.Messaging.ServiceBus;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Consuming;
using GpuAutomation.Messaging.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.Messaging.ServiceBus;

/// <summary>
/// The bus over Azure Service Bus through the official SDK (Azure.Messaging.ServiceBus): one ServiceBusClient (one
/// AMQP connection) per instance, a cached ServiceBusSender per queue, a ServiceBusProcessor per consumer with
/// auto lock renewal. The SDK owns what a hand-written client got wrong (audit fidelity-azure.md 3.5, 3.11, 3.12):
/// re-attaching only a detached link, CBS token renewal, lock renewal, settle mode second (a lost lock is reported).
/// </summary>
public sealed class ServiceBusMessageBus : IMessageBus
{
    /// <summary>messaging.system for Service Bus (OpenTelemetry messaging conventions).</summary>
    private const string MessagingSystem = "servicebus";

    private readonly ServiceBusClient _client;
    private readonly MessageBusOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ServiceBusConsumer, byte> _consumers = new();
    private bool _disposed;

    private ServiceBusMessageBus(ServiceBusClient client, string endpoint, MessageBusOptions options, ILoggerFactory loggers)
    {
        _client = client;
        Endpoint = endpoint;
        _options = options;
        _loggers = loggers;
    }

    /// <summary>The namespace this bus talks to, for logs (never a key).</summary>
    public string Endpoint { get; }

    /// <summary>A bus from a SAS connection string (<c>Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…</c>, optionally <c>UseDevelopmentEmulator=true</c>).</summary>
    public static ServiceBusMessageBus Create(string connectionString, MessageBusOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        options ??= new MessageBusOptions();
        var endpoint = ServiceBusConnectionStringProperties.Parse(connectionString).FullyQualifiedNamespace;
        return new ServiceBusMessageBus(new ServiceBusClient(connectionString, ClientOptions(options)), endpoint, options, loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>
    /// A bus on <paramref name="fullyQualifiedNamespace"/> (<c>&lt;ns&gt;.servicebus.windows.net</c>) authorized by an Entra
    /// ID identity: the Arc machine's managed identity on a node, the app's identity in the control plane.
    /// </summary>
    public static ServiceBusMessageBus Create(string fullyQualifiedNamespace, TokenCredential credential, MessageBusOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fullyQualifiedNamespace);
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new MessageBusOptions();
        return new ServiceBusMessageBus(new ServiceBusClient(fullyQualifiedNamespace, credential, ClientOptions(options)), fullyQualifiedNamespace, options, loggerFactory ?? NullLoggerFactory.Instance);
    }

    public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfDisposed();
        return MessagingTelemetry.PublishAsync(MessagingSystem, queue, message, () => SendAsync(queue, message, cancellationToken));
    }

    private async Task SendAsync(string queue, Message message, CancellationToken cancellationToken)
    {
        var body = MessageCodec.EncodeForWire(message);
        var sent = ServiceBusMessageMapper.ToServiceBus(message, body, _options.TimeProvider.GetUtcNow());
        var sender = _senders.GetOrAdd(queue, static (q, client) => client.CreateSender(q), _client);
        // The SDK retries transient failures itself (ClientOptions); this bounds the whole publish as the AMQP bus does.
        using var timeout = new CancellationTokenSource(_options.PublishTimeout, _options.TimeProvider);
        // Linked only when the caller can cancel: most publishes pass none, and the link costs an allocation and a
        // registration per message (the benchmark's bus/bare allocation figure).
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token) : null;
        try
        {
            await sender.SendMessageAsync(sent, linked?.Token ?? timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new MessagingException(
                MessagingErrors.BrokerUnavailable,
                $"Publishing {message.Envelope.MessageType} {message.Envelope.MessageId} to {queue} on {Endpoint} did not succeed within {_options.PublishTimeout.TotalSeconds} s.");
        }
        catch (ServiceBusException ex)
        {
            throw Translate(ex, message, queue);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new MessagingException(MessagingErrors.Unauthorized, $"{Endpoint} refused the credentials for {queue}: {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex) when (_disposed)
        {
            throw new MessagingException(MessagingErrors.Closed, "The message bus was disposed.", ex);
        }
    }

    public async Task<IMessageConsumer> StartConsumerAsync(
        string queue,
        MessageHandler handler,
        ConsumerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        options ??= new ConsumerOptions();
        options.Validate();
        var logger = _loggers.CreateLogger<ServiceBusConsumer>();
        var consumer = new ServiceBusConsumer(queue, _client, new DeliveryProcessor(queue, handler, options, logger), options, _options, logger, c => _consumers.TryRemove(c, out _));
        _consumers.TryAdd(consumer, 0);
        try
        {
            await consumer.StartAsync(cancellationToken);
        }
        catch
        {
            await consumer.DisposeAsync();
            throw;
        }

        return consumer;
    }

    /// <summary>
    /// Send: a fresh sender's <c>CreateMessageBatchAsync</c>, which attaches the sender link to learn the link's size
    /// limit (Azure.Messaging.ServiceBus AmqpSender.CreateMessageBatchInternalAsync: <c>_sendLink.GetOrCreateAsync</c> while
    /// the limits are unknown) and sends nothing; fresh because the cached publishing sender may already hold its link.
    /// Receive: <c>PeekMessageAsync</c>, the <c>com.microsoft:peek-message</c> operation on the queue's <c>$management</c>
    /// link (AmqpReceiver.PeekMessagesInternalAsync), which needs the Listen right and neither locks nor settles anything.
    /// </summary>
    public async Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ThrowIfDisposed();
        var what = $"{(access == ProbeAccess.Send ? "sending to" : "receiving from")} {queue} on {Endpoint}";
        try
        {
            if (access == ProbeAccess.Send)
            {
                await using var sender = _client.CreateSender(queue);
                using var batch = await sender.CreateMessageBatchAsync(cancellationToken);
                return new ProbeResult(queue, access, $"sender link to {queue} granted on {Endpoint} (batch limit {batch.MaxSizeInBytes} bytes); nothing sent");
            }

            await using var receiver = _client.CreateReceiver(queue);
            var head = await receiver.PeekMessageAsync(cancellationToken: cancellationToken);
            return new ProbeResult(queue, access, head is null
                ? $"peek on {queue} answered on {Endpoint}: the queue is empty"
                : $"peek on {queue} answered on {Endpoint}: a message is waiting (sequence {head.SequenceNumber}); nothing was locked or settled");
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessagingEntityNotFound)
        {
            throw new MessagingException(MessagingErrors.QueueNotFound, $"{Endpoint} has no queue {queue}: {ex.Message}", ex);
        }
        catch (ServiceBusException ex) when (ex.IsTransient)
        {
            throw new MessagingException(MessagingErrors.BrokerUnavailable, $"{what} failed after the SDK's retries: {ex.Reason}: {ex.Message}", ex);
        }
        catch (ServiceBusException ex)
        {
            throw new MessagingException(MessagingErrors.QueueRefused, $"{what} was refused: {ex.Reason}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new MessagingException(MessagingErrors.Unauthorized, $"{Endpoint} refused {what}: {ex.Message}", ex);
        }
        catch (Azure.Identity.AuthenticationFailedException ex)
        {
            // The managed identity got no token (e.g. no Arc agent, or an unknown client id): nothing reached the namespace.
            throw new MessagingException(MessagingErrors.Unauthorized, $"No token for {what}: {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex) when (_disposed)
        {
            throw new MessagingException(MessagingErrors.Closed, "The message bus was disposed.", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var consumer in _consumers.Keys)
        {
            await consumer.DisposeAsync();
        }

        foreach (var sender in _senders.Values)
        {
            await sender.DisposeAsync();
        }

        await _client.DisposeAsync();
    }

    public override string ToString() => $"Service Bus {Endpoint} (Azure.Messaging.ServiceBus)";

    internal static ServiceBusClientOptions ClientOptions(MessageBusOptions options) => new()
    {
        RetryOptions = new ServiceBusRetryOptions
        {
            Mode = ServiceBusRetryMode.Exponential,
            Delay = options.RetryDelay,
            MaxDelay = options.MaxRetryDelay,
            // Bounded by PublishTimeout per publish; consumers keep retrying on their own loop.
            MaxRetries = 10,
        },
    };

    private MessagingException Translate(ServiceBusException ex, Message message, string queue)
    {
        var what = $"{message.Envelope.MessageType} {message.Envelope.MessageId} for {queue} on {Endpoint}";
        return ex.Reason switch
        {
            ServiceBusFailureReason.MessageSizeExceeded => new MessagingException(
                MessagingErrors.PublishRejected, $"{what} is larger than the queue accepts with its properties (limit {Message.MaxEncodedBytes} bytes on Standard): {ex.Message}", ex),
            ServiceBusFailureReason.MessagingEntityNotFound or ServiceBusFailureReason.MessagingEntityDisabled or ServiceBusFailureReason.QuotaExceeded
                => new MessagingException(MessagingErrors.PublishRejected, $"{what} was refused: {ex.Reason}: {ex.Message}", ex),
            _ when ex.IsTransient => new MessagingException(MessagingErrors.BrokerUnavailable, $"{what} failed after the SDK's retries: {ex.Reason}: {ex.Message}", ex),
            _ => new MessagingException(MessagingErrors.PublishRejected, $"{what} was refused: {ex.Reason}: {ex.Message}", ex),
        };
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new MessagingException(MessagingErrors.Closed, "The message bus was disposed.");
        }
    }
}
