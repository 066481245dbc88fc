using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Consuming;
using GpuAutomation.Messaging.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// The bus over a generic AMQP 1.0 broker (RabbitMQ: the cross-process test bed and on-prem setups; Azure Service Bus
/// goes through <see cref="ServiceBus.ServiceBusMessageBus"/>). One connection per instance (make one instance per
/// process), sender links cached per queue, reconnect with backoff and jitter. Queues are attached as durable termini
/// and messages sent with a durable header, so a broker restart keeps both (<see cref="AmqpTerminus"/>).
/// </summary>
public sealed partial class AmqpMessageBus : IMessageBus
{
    private const int PropertyHeadroom = 8 * 1024;

    private readonly AmqpConnectionScope _scope;
    private readonly AmqpMessageBusOptions _options;
    private readonly RetryBackoff _backoff;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly List<AmqpConsumer> _consumers = [];
    private bool _disposed;

    private AmqpMessageBus(AmqpConnectionSettings settings, AmqpMessageBusOptions options, ILoggerFactory loggers)
    {
        Settings = settings;
        this._options = options;
        this._loggers = loggers;
        _logger = loggers.CreateLogger<AmqpMessageBus>();
        _backoff = new RetryBackoff(options);
        _scope = new AmqpConnectionScope(settings, options, _logger);
    }

    public AmqpConnectionSettings Settings { get; }

    /// <summary>
    /// Creates the bus from an <c>amqp://</c> or <c>amqps://</c> address (see <see cref="AmqpConnectionSettings"/>).
    /// Nothing connects until the first publish or consumer.
    /// </summary>
    /// <exception cref="MessagingException">invalid-connection-string, or service-bus-needs-sdk-adapter for a Service Bus setting.</exception>
    public static AmqpMessageBus Create(
        string connectionString,
        AmqpMessageBusOptions? options = null,
        ILoggerFactory? loggerFactory = null)
        => new(AmqpConnectionSettings.Parse(connectionString), options ?? new AmqpMessageBusOptions(), loggerFactory ?? NullLoggerFactory.Instance);

    public async Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfDisposed();
        using var activity = MessagingTelemetry.StartPublish("amqp", queue, message);
        try
        {
            await SendAsync(queue, message, cancellationToken);
        }
        catch (Exception ex)
        {
            MessagingTelemetry.PublishFailed(activity, queue, message, ex);
            throw;
        }

        MessagingTelemetry.PublishSucceeded(queue, message);
    }

    private async Task SendAsync(string queue, Message message, CancellationToken cancellationToken)
    {
        var body = MessageCodec.EncodeForWire(message);
        var time = _options.TimeProvider;
        var deadline = time.GetUtcNow() + _options.PublishTimeout;
        for (var attempt = 0; ; attempt++)
        {
            AmqpConnectionScope.Live? live = null;
            try
            {
                live = await _scope.LiveAsync(cancellationToken);
                var sender = await live.SenderAsync(queue, cancellationToken);
                var amqp = AmqpMessageMapper.ToAmqp(message, body, time.GetUtcNow());
                ThrowIfTooLarge(amqp, message, queue);
                await sender.SendAsync(amqp).WaitAsync(cancellationToken);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (global::Amqp.AmqpException ex) when (!AmqpConnectionScope.IsTransient(ex))
            {
                throw new MessagingException(
                    ex.Error?.Condition?.ToString() == global::Amqp.ErrorCode.UnauthorizedAccess ? MessagingErrors.Unauthorized : MessagingErrors.PublishRejected,
                    $"{Settings.Host} refused {message.Envelope.MessageType} {message.Envelope.MessageId} for {queue}: {ex.Error?.Condition} {ex.Error?.Description}",
                    ex);
            }
            catch (Exception ex) when (AmqpConnectionScope.IsTransient(ex))
            {
                // A detached sender link is replaced on the same connection (audit row 3.11); only a failed connection is dropped.
                if (live is { IsOpen: false })
                {
                    _scope.Invalidate(live);
                }

                var delay = _backoff.Delay(attempt);
                if (time.GetUtcNow() + delay > deadline)
                {
                    throw new MessagingException(
                        MessagingErrors.BrokerUnavailable,
                        $"Publishing {message.Envelope.MessageType} {message.Envelope.MessageId} to {queue} on {Settings.Host} failed for {_options.PublishTimeout.TotalSeconds} s: {ex.Message}",
                        ex);
                }

                LogPublishRetry(ex, queue, message.Envelope.MessageId, attempt + 1, delay);
                await Task.Delay(delay, time, cancellationToken);
            }
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
        var consumerLogger = _loggers.CreateLogger<AmqpConsumer>();
        var consumer = new AmqpConsumer(queue, _scope, new DeliveryProcessor(queue, handler, options, consumerLogger), options, _backoff, consumerLogger);
        lock (_consumers)
        {
            _consumers.Add(consumer);
        }

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

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AmqpConsumer[] running;
        lock (_consumers)
        {
            running = [.. _consumers];
        }

        foreach (var consumer in running)
        {
            await consumer.DisposeAsync();
        }

        await _scope.DisposeAsync();
    }

    // The same limit as production, where Service Bus counts the whole message, body plus system and application
    // properties (service-bus-quotas; audit row 3.10), so the test bed refuses what production would refuse.
    // Our properties (ids, type, cluster, node, traceparent) stay far below PropertyHeadroom, so only a body near the
    // limit pays for encoding the message twice.
    private static void ThrowIfTooLarge(global::Amqp.Message amqp, Message message, string queue)
    {
        if (((global::Amqp.Framing.Data)amqp.BodySection).Binary.Length + PropertyHeadroom <= Message.MaxEncodedBytes)
        {
            return;
        }

        var size = amqp.Encode().Length;
        if (size > Message.MaxEncodedBytes)
        {
            throw new MessagingException(
                MessagingErrors.PublishRejected,
                $"{message.Envelope.MessageType} {message.Envelope.MessageId} for {queue} is {size} bytes with its properties; the limit is {Message.MaxEncodedBytes}.");
        }
    }

    public override string ToString() => $"AMQP 1.0 {Settings} (AMQPNetLite)";

    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            throw new MessagingException(MessagingErrors.Closed, "The message bus was disposed.");
        }
    }

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Publishing {MessageId} to {Queue} failed (attempt {Attempt}); retrying in {Delay}")]
    private partial void LogPublishRetry(Exception exception, string queue, string messageId, int attempt, TimeSpan delay);
}
