using System.Runtime.InteropServices;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// Failed attempts per message id, kept by the consumer because some brokers (RabbitMQ) don't raise the AMQP
/// delivery-count when a message is released. Bounded so a stream of distinct failing ids can't grow it forever.
/// </summary>
internal sealed class FailureCounts(int capacity = 10_000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    // Read without the lock so the usual case, a message that never failed while nothing else is failing either,
    // costs no hashing and no lock on every delivery.
    private volatile int _tracked;

    public int Get(string? messageId)
    {
        if (messageId is null || _tracked == 0)
        {
            return 0;
        }

        lock (_gate)
        {
            return _counts.GetValueOrDefault(messageId);
        }
    }

    public int Increment(string? messageId)
    {
        if (messageId is null)
        {
            return 0;
        }

        lock (_gate)
        {
            if (_counts.Count >= capacity)
            {
                // Losing counts only delays a dead-letter (the broker's own delivery-count still applies).
                _counts.Clear();
            }

            var count = ++CollectionsMarshal.GetValueRefOrAddDefault(_counts, messageId, out _);
            _tracked = _counts.Count;
            return count;
        }
    }

    public void Forget(string? messageId)
    {
        if (messageId is null || _tracked == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_counts.Remove(messageId))
            {
                _tracked = _counts.Count;
            }
        }
    }
}
