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

    public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfDisposed();
        return MessagingTelemetry.PublishAsync("amqp", queue, message, () => SendAsync(queue, message, cancellationToken));
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

    /// <summary>
    /// Attaches links and waits for the broker's answer, on a session of its own so a refusal can't end the publishers'
    /// session; no credit is granted and nothing is sent. RabbitMQ declares the queue of a plain address on attach
    /// (<see cref="AmqpTerminus"/>), so the probe first attaches a receiver with no credit to <c>/amq/queue/&lt;name&gt;</c>,
    /// which RabbitMQ resolves without declaring (rabbitmq-server v3.10.x deps/rabbitmq_amqp1_0 rabbit_amqp1_0_outgoing_link
    /// ensure_source → rabbit_routing_util ensure_endpoint for amqqueue: no queue.declare) and refuses for a missing queue;
    /// a send probe then attaches the sender link exactly as <see cref="PublishAsync"/> does. RabbitMQ checks write
    /// permission per message, not per link, so a user who may consume but not publish still passes the send probe.
    /// </summary>
    public async Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ThrowIfDisposed();
        AmqpConnectionScope.Live live;
        try
        {
            live = await _scope.LiveAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not MessagingException && AmqpConnectionScope.IsTransient(ex))
        {
            throw new MessagingException(MessagingErrors.BrokerUnavailable, $"{Settings.Host}:{Settings.Port} could not be reached: {ex.Message}", ex);
        }

        var session = new global::Amqp.Session(live.Connection);
        try
        {
            var probeName = $"probe-{queue}-{Guid.NewGuid():N}";
            await AttachedAsync(onAttached => new global::Amqp.ReceiverLink(session, probeName, AmqpTerminus.ExistingQueueReceiver(queue), onAttached), cancellationToken);
            if (access == ProbeAccess.Receive)
            {
                return new ProbeResult(queue, access, $"receiver link to {queue} granted by {Settings.Host} (no credit given; nothing received)");
            }

            await AttachedAsync(onAttached => new global::Amqp.SenderLink(session, probeName + "-send", AmqpTerminus.Sender(queue), onAttached), cancellationToken);
            return new ProbeResult(queue, access, $"{queue} exists and a sender link to it was granted by {Settings.Host}; nothing sent");
        }
        catch (global::Amqp.AmqpException ex)
        {
            // RabbitMQ 3.10 refuses a missing queue with amqp:not-found "NOT_FOUND - no queue '<name>' in vhost '/'" (seen
            // on the test broker); a permission refusal was not observed here, so its 0-9-1 text is matched as well.
            var condition = ex.Error?.Condition?.ToString();
            var description = ex.Error?.Description ?? string.Empty;
            var code = condition == global::Amqp.ErrorCode.NotFound || description.Contains("NOT_FOUND", StringComparison.Ordinal) ? MessagingErrors.QueueNotFound
                : condition == global::Amqp.ErrorCode.UnauthorizedAccess || description.Contains("ACCESS_REFUSED", StringComparison.Ordinal) ? MessagingErrors.Unauthorized
                : MessagingErrors.QueueRefused;
            throw new MessagingException(code, $"{Settings.Host} refused {(access == ProbeAccess.Send ? "sending to" : "receiving from")} {queue}: {condition} {description}", ex);
        }
        finally
        {
            try
            {
                await session.CloseAsync(TimeSpan.FromSeconds(5), null);
            }
#pragma warning disable CA1031 // A session the broker ended on a refusal fails to close; it is gone either way.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>Creates a link and waits until the broker attached it; a refusal (an attach without terminus, then a detach with an error) throws the broker's error.</summary>
    private static async Task AttachedAsync(Func<global::Amqp.OnAttached, global::Amqp.Link> create, CancellationToken cancellationToken)
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Closed(global::Amqp.IAmqpObject sender, global::Amqp.Framing.Error? error)
            => answered.TrySetException(new global::Amqp.AmqpException(error ?? new global::Amqp.Framing.Error(global::Amqp.ErrorCode.DetachForced) { Description = "The broker closed the link without an error." }));

        var link = create((_, attach) =>
        {
            // AMQP 1.0 §2.6.3: a refusing peer attaches with a null terminus and detaches at once with the reason.
            if ((attach.Role ? attach.Target : attach.Source) is not null)
            {
                answered.TrySetResult();
            }
        });
        link.Closed += Closed;
        if (link.IsClosed)
        {
            Closed(link, link.Error);
        }

        try
        {
            await answered.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            link.Closed -= Closed;
            if (!link.IsClosed)
            {
                try
                {
                    await link.CloseAsync(TimeSpan.FromSeconds(5), null);
                }
#pragma warning disable CA1031 // Best effort: the session's close ends the link too.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
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
