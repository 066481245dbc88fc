using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// The workers that run one consumer's handlers. Each worker takes a delivery and handles it on the thread that took
/// it, so a message costs one wake-up of a waiting worker and nothing more, as in a bare receive loop. At most
/// MaxConcurrency handlers run at once: the bound is a count of slots shared by every worker ever started, so it also
/// holds while the workers of a lost AMQP link finish their handlers beside those of its replacement. A handler that
/// throws anyway (it should settle and never throw) is logged and the worker carries on, so the consumer never
/// silently loses its workers.
/// </summary>
internal sealed partial class HandlerWorkers(int maxConcurrency, string queue, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrency, maxConcurrency);
    private readonly List<Task> _workers = [];

    /// <summary>
    /// Starts MaxConcurrency workers. Each takes a delivery with <paramref name="take"/> (null once the source has
    /// ended) and gives it to <paramref name="handle"/>, which settles it and never throws; once
    /// <paramref name="stopping"/> is cancelled they take nothing more and end after the handler they are running.
    /// </summary>
    public void Start<T>(Func<CancellationToken, ValueTask<T?>> take, Func<T, Task> handle, CancellationToken stopping)
        where T : class
    {
        lock (_workers)
        {
            _workers.RemoveAll(static w => w.IsCompleted);
            for (var i = 0; i < maxConcurrency; i++)
            {
                // Registered as the task that started it, never by the worker itself, so a worker that ends at once
                // is still a (finished) task here and the drain can neither miss it nor wait for it forever.
                _workers.Add(Task.Run(() => RunAsync(take, handle, stopping), CancellationToken.None));
            }
        }
    }

    /// <summary>Waits for every worker started so far to end; call it once nothing starts more.</summary>
    public Task DrainAsync()
    {
        lock (_workers)
        {
            return Task.WhenAll(_workers);
        }
    }

    public void Dispose() => _slots.Dispose();

    private async Task RunAsync<T>(Func<CancellationToken, ValueTask<T?>> take, Func<T, Task> handle, CancellationToken stopping)
        where T : class
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _slots.WaitAsync(stopping);
                try
                {
                    if (await take(stopping) is not { } delivery)
                    {
                        return;
                    }

                    try
                    {
                        await handle(delivery);
                    }
#pragma warning disable CA1031 // One delivery's fault must not end the worker: the broker redelivers what went unsettled.
                    catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
#pragma warning restore CA1031
                    {
                        LogHandlerFault(ex, queue);
                    }
                }
                finally
                {
                    _slots.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 6022, Level = LogLevel.Error, Message = "A handler of {Queue} threw instead of settling; its delivery is left to the broker and the worker carries on")]
    private partial void LogHandlerFault(Exception exception, string queue);
}
