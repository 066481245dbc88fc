using GpuAutomation.Messaging.InMemory;

namespace GpuAutomation.Messaging.Tests;

public sealed class InMemoryMessageBusTests : MessageBusContract
{
    private InMemoryMessageBus? _bus;

    protected override bool KeepsDeadLetterReason => true;

    protected override IMessageBus CreateBus() => _bus = new InMemoryMessageBus();

    protected override Task SendRawAsync(string queue, byte[] body, string messageId)
    {
        _bus!.PublishRaw(queue, body, messageId);
        return Task.CompletedTask;
    }

    protected override async Task<DeadLetter> WaitForDeadLetterAsync(IMessageBus bus, string queue, string messageId)
    {
        var inMemory = (InMemoryMessageBus)bus;
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (inMemory.DeadLetters(queue).FirstOrDefault(d => d.MessageId == messageId) is { } dead)
            {
                return new DeadLetter(dead.MessageId, dead.Body, dead.Reason, dead.Description);
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{messageId} was not dead-lettered from {queue} within {Wait}.");
    }

    [Fact]
    public async Task Stopping_a_consumer_whose_handler_ends_at_once_always_finishes()
    {
        // A stop that never finishes (a drain spinning or waiting on a worker nobody ends) shows only under CPU
        // contention, so repeat start-handle-stop many times.
        await using var inMemory = new InMemoryMessageBus();
        for (var i = 0; i < 2000; i++)
        {
            var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = await inMemory.StartConsumerAsync("gpu-test-stop", (_, _) =>
            {
                handled.TrySetResult();
                return Task.FromResult(Settlement.Complete);
            });
            await inMemory.PublishAsync("gpu-test-stop", NewMessage($"m{i}"));
            await handled.Task.WaitAsync(Wait);

            var stop = consumer.StopAsync();
            Assert.True(await Task.WhenAny(stop, Task.Delay(Wait)) == stop, $"Stop #{i} did not finish within {Wait}: the drain spins or hangs.");
            await stop;
        }
    }

    [Fact]
    public async Task Disposing_the_bus_while_a_stop_drains_a_slow_handler_waits_for_that_stop()
    {
        var inMemory = new InMemoryMessageBus();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = await inMemory.StartConsumerAsync("gpu-test-dispose", async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return Settlement.Complete;
        });
        await inMemory.PublishAsync("gpu-test-dispose", NewMessage("m1"));
        await started.Task.WaitAsync(Wait);

        var stop = consumer.StopAsync();
        var dispose = inMemory.DisposeAsync().AsTask();
        await Task.Delay(100);
        Assert.False(dispose.IsCompleted, "Disposing returned while a handler was still running under the stop.");

        release.TrySetResult();
        await stop.WaitAsync(Wait);
        await dispose.WaitAsync(Wait);
    }
}
