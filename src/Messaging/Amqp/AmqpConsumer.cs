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
    private static readonly Symbol DeadLetterCondition = new("com.microsoft:dead-letter");
    private static readonly Symbol DeadLetterReasonKey = new("DeadLetterReason");
    private static readonly Symbol DeadLetterDescriptionKey = new("DeadLetterErrorDescription");

    // A broker that never answers the end frame must not hold up a stopping consumer (AMQPNetLite waits 60 s).
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly AmqpConnectionScope scope;
    private readonly DeliveryProcessor processor;
    private readonly ConsumerOptions options;
    private readonly RetryBackoff backoff;
    private readonly ILogger logger;
    private readonly ConsumerLifetime lifetime;
    private readonly TaskCompletionSource attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Session? session;

    public AmqpConsumer(string queue, AmqpConnectionScope scope, DeliveryProcessor processor, ConsumerOptions options, RetryBackoff backoff, ILogger logger)
    {
        Queue = queue;
        this.scope = scope;
        this.processor = processor;
        this.options = options;
        this.backoff = backoff;
        this.logger = logger;
        lifetime = new ConsumerLifetime(options.MaxConcurrency, queue, logger);
    }

    public string Queue { get; }

    /// <summary>Starts receiving; completes once the receiver link is first attached.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.Start(ReceiveLoopAsync);
        await attached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!await lifetime.StopAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // Closing the session (not only the link) hands prefetched, never-dispatched deliveries back to the broker.
        await CloseSessionAsync(session).ConfigureAwait(false);
        LogStopped(Queue);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        lifetime.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var token = lifetime.Receiving;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            AmqpConnectionScope.Live? live = null;
            try
            {
                live = await scope.LiveAsync(token).ConfigureAwait(false);
                await live.AuthorizeAsync(Queue, token).ConfigureAwait(false);
                var current = new Session(live.Connection);
                await CloseSessionAsync(Interlocked.Exchange(ref session, current)).ConfigureAwait(false);
                failures = 0;
                await ReceiveAsync(live, current, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (AmqpConnectionScope.IsTransient(ex))
            {
                LogReceiveFailed(ex, Queue, failures + 1);
                if (live is not null)
                {
                    scope.Invalidate(live);
                }

                try
                {
                    await backoff.WaitAsync(failures++, token).ConfigureAwait(false);
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
                attached.TrySetException(ex);
                LogReceiveFailed(ex, Queue, failures + 1);
                try
                {
                    await backoff.WaitAsync(Math.Max(failures++, 5), token).ConfigureAwait(false);
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
        var receiver = new ReceiverLink(current, $"receiver-{Queue}-{Guid.NewGuid():N}", Queue);
        var buffer = new PrefetchBuffer(receiver, options.PrefetchCount);
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

            lifetime.Workers.Start(buffer.TakeAsync, message => HandleAsync(receiver, message), token);
            buffer.Start();
            attached.TrySetResult();
            throw await buffer.Lost.WaitAsync(token).ConfigureAwait(false);
        }
        finally
        {
            live.Connection.Closed -= onConnectionClosed;
            buffer.Close();
        }
    }

    private async Task HandleAsync(ReceiverLink receiver, AmqpMessage message)
    {
        var settlement = await processor.ProcessAsync(
            AmqpMessageMapper.Body(message),
            AmqpMessageMapper.MessageId(message),
            AmqpMessageMapper.DeliveryCount(message),
            AmqpMessageMapper.TraceParent(message),
            lifetime.HandlersAborted).ConfigureAwait(false);
        try
        {
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    receiver.Accept(message);
                    break;
                case SettlementKind.Abandon:
                    // released, not modified: RabbitMQ ends the session on modified, and Service Bus abandons on either.
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
            await session.CloseAsync(CloseTimeout, null).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Closing on a dead connection fails; the broker has released everything anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from {Queue} failed (attempt {Attempt}); reattaching after backoff")]
    private partial void LogReceiveFailed(Exception exception, string queue, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling {MessageId} from {Queue} as {Settlement} failed; the broker will redeliver it")]
    private partial void LogSettleFailed(Exception exception, string queue, string? messageId, SettlementKind settlement);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer of {Queue} stopped")]
    private partial void LogStopped(string queue);
}
