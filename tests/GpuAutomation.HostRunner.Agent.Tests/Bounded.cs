using System.Globalization;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>
/// Runs a start, stop or dispose step under a time limit, off the test's thread: code under test that hangs, or spins
/// without ever yielding, then fails this test with the step's name instead of stalling the whole test run.
/// </summary>
internal static class Bounded
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(string what, Func<Task> step, TimeSpan? limit = null)
    {
        await RunAsync(what, async () =>
        {
            await step();
            return true;
        }, limit);
    }

    public static async Task<T> RunAsync<T>(string what, Func<Task<T>> step, TimeSpan? limit = null)
    {
        var within = limit ?? DefaultLimit;
        var running = Task.Run(step);
        using var timer = new CancellationTokenSource();
        if (await Task.WhenAny(running, Task.Delay(within, timer.Token)) != running)
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{what} did not finish within {within.TotalSeconds:0} s: it hangs or spins."));
        }

        await timer.CancelAsync();
        return await running;
    }
}
