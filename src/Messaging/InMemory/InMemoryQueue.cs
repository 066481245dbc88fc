using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Diagnostics;

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

    internal static readonly IReadOnlyDictionary<string, object> NoProperties = new Dictionary<string, object>();

    /// <summary>
    /// A message as stored: the encoded body plus the properties a broker would keep beside it. Trace context is in
    /// <paramref name="ApplicationProperties"/> under the names the broker adapters write (<see cref="TraceContextProperties"/>).
    /// </summary>
    internal sealed record Delivery(string? MessageId, ReadOnlyMemory<byte> Body, DateTimeOffset? ExpiresAt, IReadOnlyDictionary<string, object> ApplicationProperties, int DeliveryCount, string? SenderToken = null)
    {
        public string? TraceParent => TraceContextProperties.Extract(Property).TraceParent;

        public string? TraceState => TraceContextProperties.Extract(Property).TraceState;

        private object? Property(string name) => ApplicationProperties.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>The message as a broker would store it, with the current span's trace context (the producer span).</summary>
    internal static Delivery From(Message message)
    {
        var properties = new Dictionary<string, object>(StringComparer.Ordinal);
        TraceContextProperties.Inject(properties);
        return new(message.Envelope.MessageId, MessageCodec.EncodeForWire(message).Bytes, message.Envelope.ExpiresAt, properties, 0, message.SenderToken);
    }
}
