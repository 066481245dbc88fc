namespace GpuAutomation.Messaging;

public sealed class ConsumerOptions
{
    /// <summary>Handlers running at once for this consumer.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Messages the broker may push ahead of the handlers (AMQP link credit). At least <see cref="MaxConcurrency"/>;
    /// prefetched messages stay locked, so keep it small when handlers are slow.
    /// </summary>
    public int PrefetchCount { get; set; } = 8;

    /// <summary>After this many failed attempts (exception or abandon) a message is dead-lettered.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    internal void Validate()
    {
        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "MaxConcurrency must be at least 1.");
        }

        if (PrefetchCount < MaxConcurrency)
        {
            throw new ArgumentOutOfRangeException(nameof(PrefetchCount), PrefetchCount, $"PrefetchCount must be at least MaxConcurrency ({MaxConcurrency}).");
        }

        if (MaxDeliveryAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDeliveryAttempts), MaxDeliveryAttempts, "MaxDeliveryAttempts must be at least 1.");
        }
    }
}
