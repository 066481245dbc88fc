using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging.InMemory;

/// <summary>
/// One queue with peek-lock semantics: a received message is locked (invisible) until it is settled; abandon puts
/// it back at the head with its delivery count raised; dead-letter moves it to this queue's dead-letter list.
/// </summary>
internal sealed class InMemoryQueue
{
    private readonly Lock gate = new();
    private readonly LinkedList<Delivery> ready = new();
    private readonly List<DeadLetteredMessage> deadLetters = [];
    private readonly TimeProvider time;
    private TaskCompletionSource available = NewSignal();

    public InMemoryQueue(TimeProvider time) => this.time = time;

    public int LockedCount { get; private set; }

    public void Enqueue(Delivery delivery)
    {
        lock (gate)
        {
            ready.AddLast(delivery);
            available.TrySetResult();
        }
    }

    /// <summary>Takes and locks the next message that hasn't expired; waits until one arrives.</summary>
    public async Task<Delivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (gate)
            {
                var now = time.GetUtcNow();
                while (ready.First is { Value: var first })
                {
                    ready.RemoveFirst();
                    if (first.ExpiresAt is { } expiresAt && now >= expiresAt)
                    {
                        continue; // Like a broker honouring the TTL: an expired message is dropped, never delivered.
                    }

                    LockedCount++;
                    return first;
                }

                if (available.Task.IsCompleted)
                {
                    available = NewSignal();
                }

                wait = available.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Settle(Delivery delivery, Settlement settlement)
    {
        lock (gate)
        {
            LockedCount--;
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    break;
                case SettlementKind.Abandon:
                    ready.AddFirst(delivery with { DeliveryCount = delivery.DeliveryCount + 1 });
                    available.TrySetResult();
                    break;
                case SettlementKind.DeadLetter:
                    deadLetters.Add(new DeadLetteredMessage(
                        delivery.MessageId, delivery.Body, settlement.Reason ?? string.Empty, settlement.Description ?? string.Empty, delivery.DeliveryCount + 1));
                    break;
            }
        }
    }

    public int ReadyCount
    {
        get
        {
            lock (gate)
            {
                return ready.Count;
            }
        }
    }

    public IReadOnlyList<DeadLetteredMessage> DeadLetters()
    {
        lock (gate)
        {
            return [.. deadLetters];
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A message as stored: the encoded body plus the properties a broker would keep beside it.</summary>
    internal sealed record Delivery(string? MessageId, ReadOnlyMemory<byte> Body, DateTimeOffset? ExpiresAt, string? TraceParent, int DeliveryCount);

    internal static Delivery From(Message message, string? traceParent)
        => new(message.Envelope.MessageId, MessageCodec.Encode(message), message.Envelope.ExpiresAt, traceParent, 0);
}
