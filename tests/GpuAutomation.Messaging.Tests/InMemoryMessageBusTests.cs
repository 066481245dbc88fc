using GpuAutomation.Messaging.InMemory;

namespace GpuAutomation.Messaging.Tests;

public sealed class InMemoryMessageBusTests : MessageBusContract
{
    private InMemoryMessageBus? bus;

    protected override bool KeepsDeadLetterReason => true;

    protected override IMessageBus CreateBus() => bus = new InMemoryMessageBus();

    protected override Task SendRawAsync(string queue, byte[] body, string messageId)
    {
        bus!.PublishRaw(queue, body, messageId);
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
        // A handler ending before its start was recorded once left a finished task behind that made the drain on
        // stop loop forever; it showed only under CPU contention, so repeat start-handle-stop many times.
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
}
