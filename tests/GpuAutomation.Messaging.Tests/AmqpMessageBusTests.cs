using GpuAutomation.Messaging.Amqp;

namespace GpuAutomation.Messaging.Tests;

[Collection(RabbitMqCollection.Name)]
public sealed class AmqpMessageBusTests(RabbitMqBroker broker) : MessageBusContract
{
    protected override bool KeepsDeadLetterReason => false;

    protected override IMessageBus CreateBus()
        => AmqpMessageBus.Create(RabbitMqBroker.ConnectionString, new AmqpMessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(100) });

    protected override Task SendRawAsync(string queue, byte[] body, string messageId) => broker.SendRawAsync(queue, body, messageId);

    protected override async Task<DeadLetter> WaitForDeadLetterAsync(IMessageBus bus, string queue, string messageId)
    {
        var message = await broker.WaitForDeadLetterAsync(messageId, Wait);
        return new DeadLetter(message.Properties?.MessageId, message.Body as byte[] ?? [], null, null);
    }
}
