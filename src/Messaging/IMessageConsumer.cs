namespace GpuAutomation.Messaging;

/// <summary>A running consumer of one queue.</summary>
public interface IMessageConsumer : IAsyncDisposable
{
    string Queue { get; }

    /// <summary>
    /// Stops taking new messages and waits for the handlers in flight to finish and settle. Cancelling
    /// <paramref name="cancellationToken"/> cancels the handlers' token instead of waiting further.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken = default);
}
