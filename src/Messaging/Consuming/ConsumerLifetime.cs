using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// The receive loop and the handler workers of one consumer, and the stop sequence every consumer shares:
/// stop taking deliveries, wait for the receive loop, then drain the workers (handlers cancelled if the caller gives up).
/// </summary>
internal sealed class ConsumerLifetime(int maxConcurrency, string queue, ILogger logger) : IDisposable
{
    private readonly CancellationTokenSource _stopReceiving = new();
    private readonly CancellationTokenSource _abortHandlers = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private Task? _stopping;

    public HandlerWorkers Workers { get; } = new(maxConcurrency, queue, logger);

    /// <summary>Cancelled when the consumer stops taking deliveries.</summary>
    public CancellationToken Receiving => _stopReceiving.Token;

    /// <summary>Cancelled when a stopping caller stops waiting for the handlers in flight.</summary>
    public CancellationToken HandlersAborted => _abortHandlers.Token;

    /// <summary>Runs a loop that (re)connects to the source and starts <see cref="Workers"/> for it; none is needed when the source never changes.</summary>
    public void Start(Func<Task> receiveLoop) => _loop = Task.Run(receiveLoop, CancellationToken.None);

    /// <returns>
    /// True for the call that stopped the consumer. Later calls wait for that same stop, handlers drained included,
    /// so a dispose racing a stop can't dispose what the draining handlers still use.
    /// </returns>
    public async Task<bool> StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        bool first;
        lock (_gate)
        {
            first = _stopping is null;
            _stopping ??= StopOnceAsync(cancellationToken);
            stop = _stopping;
        }

        await stop;
        return first;
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await _stopReceiving.CancelAsync();
        await _loop;
        using (cancellationToken.Register(_abortHandlers.Cancel))
        {
            await Workers.DrainAsync();
        }
    }

    public void Dispose()
    {
        _stopReceiving.Dispose();
        _abortHandlers.Dispose();
        Workers.Dispose();
    }
}
