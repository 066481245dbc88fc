using Amqp;
using Amqp.Framing;
using Amqp.Types;
using GpuAutomation.Messaging.Consuming;
using Microsoft.Extensions.Logging;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// Receives one queue in peek-lock mode on its own session: explicit link credit (the prefetch), at most
/// MaxConcurrency handlers at once, each delivery settled accepted / released / rejected. Reattaches with
/// backoff after the connection drops; unsettled deliveries of the lost link are redelivered by the broker.
/// </summary>
internal sealed partial class AmqpConsumer : IMessageConsumer
{
    // rejected (AMQP 1.0 §3.4.3) carries an error whose condition the application may name; a generic broker moves
    // the message to its dead-letter target (RabbitMQ: the queue's dead-letter policy) and keeps neither field, so
    // the reason is also logged by the DeliveryProcessor. Service Bus' com.microsoft:dead-letter form belongs to the SDK adapter.
    private static readonly Symbol DeadLetterCondition = new("gpu-automation:dead-letter");
    private static readonly Symbol DeadLetterReasonKey = new("reason");
    private static readonly Symbol DeadLetterDescriptionKey = new("description");

    // A broker that never answers the end frame must not hold up a stopping consumer (AMQPNetLite waits 60 s).
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly AmqpConnectionScope _scope;
    private readonly DeliveryProcessor _processor;
    private readonly ConsumerOptions _options;
    private readonly RetryBackoff _backoff;
    private readonly ILogger _logger;
    private readonly ConsumerLifetime _lifetime;
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Session? _session;

    public AmqpConsumer(string queue, AmqpConnectionScope scope, DeliveryProcessor processor, ConsumerOptions options, RetryBackoff backoff, ILogger logger)
    {
        Queue = queue;
        this._scope = scope;
        this._processor = processor;
        this._options = options;
        this._backoff = backoff;
        this._logger = logger;
        _lifetime = new ConsumerLifetime(options.MaxConcurrency, queue, logger);
    }

    public string Queue { get; }

    /// <summary>Starts receiving; completes once the receiver link is first attached.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _lifetime.Start(ReceiveLoopAsync);
        await _attached.Task.WaitAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!await _lifetime.StopAsync(cancellationToken))
        {
            return;
        }

        // Closing the session (not only the link) hands prefetched, never-dispatched deliveries back to the broker.
        await CloseSessionAsync(_session);
        LogStopped(Queue);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _lifetime.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var token = _lifetime.Receiving;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            AmqpConnectionScope.Live? live = null;
            try
            {
                live = await _scope.LiveAsync(token);
                var current = new Session(live.Connection);
                await CloseSessionAsync(Interlocked.Exchange(ref _session, current));
                failures = 0;
                await ReceiveAsync(live, current, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (AmqpConnectionScope.IsTransient(ex))
            {
                LogReceiveFailed(ex, Queue, failures + 1);
                // A lost link (a broker's forced detach, audit row 3.11) is re-attached on
                // the same connection; only a connection that itself failed is dropped, with every link on it.
                if (live is { IsOpen: false })
                {
                    _scope.Invalidate(live);
                }

                try
                {
                    await _backoff.WaitAsync(failures++, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
#pragma warning disable CA1031 // A consumer must outlive any single failure; non-transient ones are retried more slowly.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _attached.TrySetException(ex);
                LogReceiveFailed(ex, Queue, failures + 1);
                try
                {
                    await _backoff.WaitAsync(Math.Max(failures++, 5), token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ReceiveAsync(AmqpConnectionScope.Live live, Session current, CancellationToken token)
    {
        var receiver = new ReceiverLink(current, $"receiver-{Queue}-{Guid.NewGuid():N}", AmqpTerminus.Receiver(Queue), null);
        var buffer = new PrefetchBuffer(receiver, _options.PrefetchCount);
        // The link or the whole connection closing loses the link, which sends the receive loop round to reconnect.
        receiver.Closed += (_, error) => buffer.Fail(
            new MessagingException(MessagingErrors.BrokerUnavailable, $"The receiver link of {Queue} was closed: {error?.Description ?? "no error given"}."));
        ClosedCallback onConnectionClosed = (_, error) => buffer.Fail(
            new MessagingException(MessagingErrors.BrokerUnavailable, $"The connection under {Queue}'s receiver closed: {error?.Description ?? "no error given"}."));
        live.Connection.Closed += onConnectionClosed;
        try
        {
            if (!live.IsOpen)
            {
                onConnectionClosed(live.Connection, live.Connection.Error);
                throw buffer.Lost.Result;
            }

            _lifetime.Workers.Start(buffer.TakeAsync, message => HandleAsync(receiver, message), token);
            buffer.Start();
            _attached.TrySetResult();
            throw await buffer.Lost.WaitAsync(token);
        }
        finally
        {
            live.Connection.Closed -= onConnectionClosed;
            buffer.Close();
        }
    }

    private async Task HandleAsync(ReceiverLink receiver, AmqpMessage message)
    {
        var (traceParent, traceState) = AmqpMessageMapper.TraceContext(message);
        var settlement = await _processor.ProcessAsync(
            AmqpMessageMapper.Body(message),
            AmqpMessageMapper.ContentEncoding(message),
            AmqpMessageMapper.MessageId(message),
            AmqpMessageMapper.DeliveryCount(message),
            traceParent,
            _lifetime.HandlersAborted,
            AmqpMessageMapper.SenderToken(message),
            traceState);
        try
        {
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    receiver.Accept(message);
                    break;
                case SettlementKind.Abandon:
                    // released, not modified: RabbitMQ 3.10 ends the session on modified (reference/servicebus-amqp.md).
                    receiver.Release(message);
                    break;
                case SettlementKind.DeadLetter:
                    receiver.Reject(message, new Error(DeadLetterCondition)
                    {
                        Description = settlement.Description,
                        Info = new Fields
                        {
                            [DeadLetterReasonKey] = settlement.Reason,
                            [DeadLetterDescriptionKey] = settlement.Description,
                        },
                    });
                    break;
            }
        }
#pragma warning disable CA1031 // The link died under us: the broker redelivers the message, which is at-least-once.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSettleFailed(ex, Queue, AmqpMessageMapper.MessageId(message), settlement.Kind);
        }
    }

    private static async Task CloseSessionAsync(Session? session)
    {
        if (session is null)
        {
            return;
        }

        try
        {
            await session.CloseAsync(CloseTimeout, null);
        }
#pragma warning disable CA1031 // Closing on a dead connection fails; the broker has released everything anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [LoggerMessage(EventId = 6012, Level = LogLevel.Warning, Message = "Receiving from {Queue} failed (attempt {Attempt}); reattaching after backoff")]
    private partial void LogReceiveFailed(Exception exception, string queue, int attempt);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Settling {MessageId} from {Queue} as {Settlement} failed; the broker will redeliver it")]
    private partial void LogSettleFailed(Exception exception, string queue, string? messageId, SettlementKind settlement);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Consumer of {Queue} stopped")]
    private partial void LogStopped(string queue);
}
