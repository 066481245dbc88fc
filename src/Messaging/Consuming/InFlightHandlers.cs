using System.Collections.Concurrent;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>Bounds how many handlers run at once and lets a stopping consumer wait for the ones in flight.</summary>
internal sealed class InFlightHandlers(int maxConcurrency) : IDisposable
{
    private readonly SemaphoreSlim slots = new(maxConcurrency, maxConcurrency);
    private readonly ConcurrentDictionary<int, Task> running = new();
    private int nextId;

    /// <summary>Waits until a handler may start.</summary>
    public Task WaitForSlotAsync(CancellationToken cancellationToken) => slots.WaitAsync(cancellationToken);

    /// <summary>Gives back a slot taken by <see cref="WaitForSlotAsync"/> without running anything.</summary>
    public void ReturnSlot() => slots.Release();

    /// <summary>Runs <paramref name="work"/> in the slot already taken; the slot is returned when it ends.</summary>
    public void Start(Func<Task> work)
    {
        var id = Interlocked.Increment(ref nextId);
        var run = new Task<Task>(async () =>
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            finally
            {
                running.TryRemove(id, out _);
                slots.Release();
            }
        });

        // Registered before it can run: a handler that ends at once would otherwise remove its entry before it was
        // added, and the finished task left behind would keep DrainAsync looping forever without ever waiting.
        running.TryAdd(id, run.Unwrap());
        run.Start(TaskScheduler.Default);
    }

    public async Task DrainAsync()
    {
        while (running.Values.Where(t => !t.IsCompleted).ToArray() is { Length: > 0 } pending)
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
    }

    public void Dispose() => slots.Dispose();
}
