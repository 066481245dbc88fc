using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// The receive loop and the handler workers of one consumer, and the stop sequence every consumer shares:
/// stop taking deliveries, wait for the receive loop, then drain the workers (handlers cancelled if the caller gives up).
/// </summary>
internal sealed class ConsumerLifetime(int maxConcurrency, string queue, ILogger logger) : IDisposable
{
    private readonly CancellationTokenSource stopReceiving = new();
    private readonly CancellationTokenSource abortHandlers = new();
    private readonly Lock gate = new();
    private Task loop = Task.CompletedTask;
    private Task? stopping;

    public HandlerWorkers Workers { get; } = new(maxConcurrency, queue, logger);

    /// <summary>Cancelled when the consumer stops taking deliveries.</summary>
    public CancellationToken Receiving => stopReceiving.Token;

    /// <summary>Cancelled when a stopping caller stops waiting for the handlers in flight.</summary>
    public CancellationToken HandlersAborted => abortHandlers.Token;

    /// <summary>Runs a loop that (re)connects to the source and starts <see cref="Workers"/> for it; none is needed when the source never changes.</summary>
    public void Start(Func<Task> receiveLoop) => loop = Task.Run(receiveLoop, CancellationToken.None);

    /// <returns>
    /// True for the call that stopped the consumer. Later calls wait for that same stop, handlers drained included,
    /// so a dispose racing a stop can't dispose what the draining handlers still use.
    /// </returns>
    public async Task<bool> StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        bool first;
        lock (gate)
        {
            first = stopping is null;
            stopping ??= StopOnceAsync(cancellationToken);
            stop = stopping;
        }

        await stop.ConfigureAwait(false);
        return first;
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await stopReceiving.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        using (cancellationToken.Register(abortHandlers.Cancel))
        {
            await Workers.DrainAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        stopReceiving.Dispose();
        abortHandlers.Dispose();
        Workers.Dispose();
    }
}
