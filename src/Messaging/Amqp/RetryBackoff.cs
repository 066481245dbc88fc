namespace GpuAutomation.Messaging.Amqp;

/// <summary>Exponential backoff with jitter, so a fleet of hosts doesn't reconnect in lockstep after a broker restart.</summary>
internal sealed class RetryBackoff(MessageBusOptions options)
{
    public TimeSpan Delay(int attempt)
    {
        var exponent = Math.Min(attempt, 16);
        var baseMs = Math.Min(options.RetryDelay.TotalMilliseconds * Math.Pow(2, exponent), options.MaxRetryDelay.TotalMilliseconds);
        double jitter;
        lock (options.Random)
        {
            jitter = 0.8 + (0.4 * options.Random.NextDouble());
        }

        return TimeSpan.FromMilliseconds(baseMs * jitter);
    }

    public Task WaitAsync(int attempt, CancellationToken cancellationToken)
        => Task.Delay(Delay(attempt), options.TimeProvider, cancellationToken);
}
