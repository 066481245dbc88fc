namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Redoes a read-modify-write from a fresh read when its ETag-checked write lost a race.</summary>
internal static class OptimisticRetry
{
    public static async Task<T> RunAsync<T>(int maxAttempts, string what, Func<Task<T>> attempt)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (StoreException ex) when (ex.IsConflict && i < maxAttempts)
            {
                // A short jittered pause spreads writers that collided on the same row.
#pragma warning disable CA5394 // jitter, not security
                await Task.Delay(Random.Shared.Next(0, Math.Min(40, 2 * i)));
#pragma warning restore CA5394
            }
            catch (StoreException ex) when (ex.IsConflict)
            {
                throw new StoreException(StoreErrors.Contention, $"{what} lost {maxAttempts} races with concurrent writers; retry later.", ex);
            }
        }
    }
}
