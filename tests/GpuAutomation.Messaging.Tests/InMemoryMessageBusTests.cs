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
}
