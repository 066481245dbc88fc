using System.Collections.Concurrent;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// Failed attempts per message id, kept by the consumer because some brokers (RabbitMQ) don't raise the AMQP
/// delivery-count when a message is released. Bounded so a stream of distinct failing ids can't grow it forever.
/// </summary>
internal sealed class FailureCounts(int capacity = 10_000)
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    public int Get(string? messageId) => messageId is not null && counts.TryGetValue(messageId, out var n) ? n : 0;

    public int Increment(string? messageId)
    {
        if (messageId is null)
        {
            return 0;
        }

        if (counts.Count >= capacity)
        {
            // Losing counts only delays a dead-letter (the broker's own delivery-count still applies).
            counts.Clear();
        }

        return counts.AddOrUpdate(messageId, 1, (_, n) => n + 1);
    }

    public void Forget(string? messageId)
    {
        if (messageId is not null)
        {
            counts.TryRemove(messageId, out _);
        }
    }
}
