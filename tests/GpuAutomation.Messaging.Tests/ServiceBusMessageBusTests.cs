using GpuAutomation.Messaging.ServiceBus;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

/// <summary>The contract suite through the official Service Bus SDK, against the in-process Service Bus–shaped peer.</summary>
public sealed class ServiceBusMessageBusTests(ITestOutputHelper output) : MessageBusContract, IDisposable
{
    private readonly ServiceBusPeer _peer = new();

    protected override bool KeepsDeadLetterReason => true;

    protected override bool CarriesOversizedMessages => false;

    protected override IMessageBus CreateBus()
        => MessageBusFactory.Create(_peer.ConnectionString, new MessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(100) }, loggerFactory: new TestOutputLoggerFactory(output));

    protected override void CreateQueue(string queue) => _peer.CreateQueue(queue);

    protected override Task SendRawAsync(string queue, byte[] body, string messageId) => _peer.SendRawAsync(queue, body, messageId);

    protected override async Task<DeadLetter> WaitForDeadLetterAsync(IMessageBus bus, string queue, string messageId)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if ((await _peer.DeadLettersAsync(queue)).FirstOrDefault(d => d.MessageId == messageId) is { MessageId: not null } dead)
            {
                return new DeadLetter(dead.MessageId, dead.Body, dead.Reason, dead.Description);
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{messageId} was not dead-lettered from {queue} within {Wait}.");
    }

    [Fact]
    public async Task The_factory_picks_the_SDK_for_a_Service_Bus_connection_string()
    {
        await using var bus = CreateBus();
        Assert.IsType<ServiceBusMessageBus>(bus);
    }

    public void Dispose() => _peer.Dispose();
}
