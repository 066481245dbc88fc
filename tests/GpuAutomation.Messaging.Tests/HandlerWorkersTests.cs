using System.Collections.Concurrent;
using System.Threading.Channels;
using GpuAutomation.Messaging.Consuming;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.Messaging.Tests;

public sealed class HandlerWorkersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_handler_that_throws_does_not_end_its_worker()
    {
        var deliveries = Channel.CreateUnbounded<string>();
        var handled = new ConcurrentQueue<string>();
        using var stopping = new CancellationTokenSource();
        using var workers = new HandlerWorkers(1, "gpu-test-workers", NullLogger.Instance);
        workers.Start<string>(
            async ct => await deliveries.Reader.ReadAsync(ct),
            delivery =>
            {
                if (delivery == "bad")
                {
                    throw new InvalidOperationException("A handler that broke its promise to settle.");
                }

                handled.Enqueue(delivery);
                return Task.CompletedTask;
            },
            stopping.Token);

        await deliveries.Writer.WriteAsync("bad");
        await deliveries.Writer.WriteAsync("good");
        var deadline = DateTime.UtcNow + Wait;
        while (handled.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await stopping.CancelAsync();
        await workers.DrainAsync().WaitAsync(Wait);
        Assert.Equal(["good"], handled);
    }
}
