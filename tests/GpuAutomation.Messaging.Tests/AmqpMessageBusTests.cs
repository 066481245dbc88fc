using GpuAutomation.Messaging.Amqp;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

[Collection(RabbitMqCollection.Name)]
public sealed class AmqpMessageBusTests(RabbitMqBroker broker, ITestOutputHelper output) : MessageBusContract
{
    protected override bool KeepsDeadLetterReason => false;

    protected override IMessageBus CreateBus()
        => AmqpMessageBus.Create(RabbitMqBroker.ConnectionString, new AmqpMessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(100) }, loggerFactory: new TestOutputLoggerFactory(output));

    protected override Task SendRawAsync(string queue, byte[] body, string messageId) => broker.SendRawAsync(queue, body, messageId);

    protected override async Task<DeadLetter> WaitForDeadLetterAsync(IMessageBus bus, string queue, string messageId)
    {
        var message = await broker.WaitForDeadLetterAsync(messageId, Wait);
        return new DeadLetter(message.Properties?.MessageId, message.Body as byte[] ?? [], null, null);
    }
}
