using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging.InMemory;

/// <summary>
/// One queue with peek-lock semantics: a received message is locked (invisible) until it is settled; abandon puts
/// it back at the head with its delivery count raised; dead-letter moves it to this queue's dead-letter list.
/// </summary>
internal sealed class InMemoryQueue
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Delivery> _ready = new();
    private readonly List<DeadLetteredMessage> _deadLetters = [];
    private readonly TimeProvider _time;
    private TaskCompletionSource _available = NewSignal();

    public InMemoryQueue(TimeProvider time) => this._time = time;

    public int LockedCount { get; private set; }

    public void Enqueue(Delivery delivery)
    {
        lock (_gate)
        {
            _ready.AddLast(delivery);
            _available.TrySetResult();
        }
    }

    /// <summary>Takes and locks the next message that hasn't expired; waits until one arrives.</summary>
    public async Task<Delivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                while (_ready.First is { Value: var first })
                {
                    _ready.RemoveFirst();
                    if (first.ExpiresAt is { } expiresAt && now >= expiresAt)
                    {
                        continue; // Like a broker honouring the TTL: an expired message is dropped, never delivered.
                    }

                    LockedCount++;
                    return first;
                }

                if (_available.Task.IsCompleted)
                {
                    _available = NewSignal();
                }

                wait = _available.Task;
            }

            await wait.WaitAsync(cancellationToken);
        }
    }

    public void Settle(Delivery delivery, Settlement settlement)
    {
        lock (_gate)
        {
            LockedCount--;
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    break;
                case SettlementKind.Abandon:
                    _ready.AddFirst(delivery with { DeliveryCount = delivery.DeliveryCount + 1 });
                    _available.TrySetResult();
                    break;
                case SettlementKind.DeadLetter:
                    _deadLetters.Add(new DeadLetteredMessage(
                        delivery.MessageId, delivery.Body, settlement.Reason ?? string.Empty, settlement.Description ?? string.Empty, delivery.DeliveryCount + 1));
                    break;
            }
        }
    }

    public int ReadyCount
    {
        get
        {
            lock (_gate)
            {
                return _ready.Count;
            }
        }
    }

    public IReadOnlyList<DeadLetteredMessage> DeadLetters()
    {
        lock (_gate)
        {
            return [.. _deadLetters];
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A message as stored: the encoded body plus the properties a broker would keep beside it.</summary>
    internal sealed record Delivery(string? MessageId, ReadOnlyMemory<byte> Body, DateTimeOffset? ExpiresAt, string? TraceParent, int DeliveryCount, string? SenderToken = null);

    internal static Delivery From(Message message, string? traceParent)
        => new(message.Envelope.MessageId, MessageCodec.EncodeForWire(message).Bytes, message.Envelope.ExpiresAt, traceParent, 0, message.SenderToken);
}
