using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Amqp;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// The deliveries one receiver link has been pushed ahead of the handlers, and the link credit that bounds them.
/// Credit is granted a batch of PrefetchCount at a time, and only once the broker has used all of the last batch and
/// the handlers have taken every delivery of it: RabbitMQ 3.10 counts a flow sent while transfers are in flight twice
/// and overshoots the credit, which AMQPNetLite answers by detaching the link (and the broker redelivers).
/// </summary>
internal sealed class PrefetchBuffer
{
    // Push delivery (a link callback into a channel) rather than ReceiveAsync(timeout): AMQPNetLite's timed async
    // waiter can race a transfer at the timeout and hand one delivery out twice. Not SingleReader: that variant cannot Count.
    private readonly Channel<AmqpMessage> _deliveries = Channel.CreateUnbounded<AmqpMessage>(new UnboundedChannelOptions { SingleWriter = true });

    // A result, not a fault: nobody may be waiting any more when a link dies during a stop.
    private readonly TaskCompletionSource<Exception> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReceiverLink _receiver;
    private readonly int _prefetch;
    private long _received;
    private long _granted;

    public PrefetchBuffer(ReceiverLink receiver, int prefetch)
    {
        this._receiver = receiver;
        this._prefetch = prefetch;
    }

    /// <summary>Completes with why the link can no longer be used; it never completes while the link works.</summary>
    public Task<Exception> Lost => _lost.Task;

    /// <summary>Starts the link's pump and grants the first batch of credit.</summary>
    public void Start()
    {
        _receiver.Start(0, (_, message) => OnDelivery(message));
        _granted = _prefetch;
        _receiver.SetCredit(_prefetch, CreditMode.Manual);
    }

    /// <summary>
    /// The next delivery, or null once the link is lost, the buffer closed or <paramref name="stopping"/> cancelled.
    /// Deliveries left behind by a lost link are not handed out: they can't be settled, and the broker redelivers them.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // It waits once per message when idle: reuse its state.
    public async ValueTask<AmqpMessage?> TakeAsync(CancellationToken stopping)
    {
        if (Over(stopping))
        {
            return null;
        }

        if (!_deliveries.Reader.TryRead(out var message))
        {
            try
            {
                // ReadAsync hands a delivery to one waiting worker, where WaitToReadAsync would wake them all. No token:
                // Close wakes every waiter however the receive loop ends, and an uncancellable read lets the channel
                // reuse its waiter instead of allocating one and a token registration per message.
                message = await _deliveries.Reader.ReadAsync();
            }
            catch (ChannelClosedException)
            {
                return null;
            }

            if (Over(stopping))
            {
                // Unsettled, it goes back to the broker with the session.
                return null;
            }
        }

        GrantIfUsedUp();
        return message;
    }

    /// <summary>Marks the link lost: the receive loop reattaches, and the workers of this link take nothing more.</summary>
    public void Fail(Exception reason)
    {
        _lost.TrySetResult(reason);
        Close();
    }

    /// <summary>Ends the stream; workers finish the handler they are running and take nothing more.</summary>
    public void Close() => _deliveries.Writer.TryComplete();

    private bool Over(CancellationToken stopping) => stopping.IsCancellationRequested || _lost.Task.IsCompleted;

    private void OnDelivery(AmqpMessage message)
    {
        // Counted before it is written: the worker that takes the last delivery of a batch must see the batch used up,
        // or nobody grants the next one.
        Interlocked.Increment(ref _received);
        _deliveries.Writer.TryWrite(message);
    }

    private void GrantIfUsedUp()
    {
        var batch = Volatile.Read(ref _granted);
        if (Interlocked.Read(ref _received) != batch || _deliveries.Reader.Count != 0
            || Interlocked.CompareExchange(ref _granted, batch + _prefetch, batch) != batch)
        {
            return;
        }

        try
        {
            _receiver.SetCredit(_prefetch, CreditMode.Manual);
        }
#pragma warning disable CA1031 // Without credit the link is useless: any failure to grant it means reattach.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail(new MessagingException(MessagingErrors.BrokerUnavailable, $"Granting credit on {_receiver.Name} failed: {ex.Message}", ex));
        }
    }
}
