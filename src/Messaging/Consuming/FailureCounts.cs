using System.Runtime.InteropServices;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// Failed attempts per message id, kept by the consumer because some brokers (RabbitMQ) don't raise the AMQP
/// delivery-count when a message is released. Bounded so a stream of distinct failing ids can't grow it forever.
/// </summary>
internal sealed class FailureCounts(int capacity = 10_000)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);

    // Read without the lock so the usual case, a message that never failed while nothing else is failing either,
    // costs no hashing and no lock on every delivery.
    private volatile int tracked;

    public int Get(string? messageId)
    {
        if (messageId is null || tracked == 0)
        {
            return 0;
        }

        lock (gate)
        {
            return counts.GetValueOrDefault(messageId);
        }
    }

    public int Increment(string? messageId)
    {
        if (messageId is null)
        {
            return 0;
        }

        lock (gate)
        {
            if (counts.Count >= capacity)
            {
                // Losing counts only delays a dead-letter (the broker's own delivery-count still applies).
                counts.Clear();
            }

            var count = ++CollectionsMarshal.GetValueRefOrAddDefault(counts, messageId, out _);
            tracked = counts.Count;
            return count;
        }
    }

    public void Forget(string? messageId)
    {
        if (messageId is null || tracked == 0)
        {
            return;
        }

        lock (gate)
        {
            if (counts.Remove(messageId))
            {
                tracked = counts.Count;
            }
        }
    }
}
