namespace GpuAutomation.EndToEnd.Tests;

/// <summary>Polls until a probe answers; fails with what was awaited (and the processes' output) when it never does.</summary>
public static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<string> what)
        where T : class
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what()}");
            }

            await Task.Delay(200);
        }
    }

    public static async Task<bool> WaitAsync(Func<Task<bool?>> probe, TimeSpan timeout, Func<string> what)
    {
        await WaitAsync(async () => await probe() is true ? (object)true : null, timeout, what);
        return true;
    }
}
