using System.Collections.Concurrent;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

[Collection(RabbitMqCollection.Name)]
public sealed class AmqpBrokerRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task After_a_broker_restart_the_bus_reconnects_and_every_message_published_after_it_is_delivered()
    {
        var queue = "gpu-test-restart-" + Guid.NewGuid().ToString("N")[..12];
        await using var bus = AmqpMessageBus.Create(
            RabbitMqBroker.ConnectionString,
            new AmqpMessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromSeconds(2), PublishTimeout = Wait },
            loggerFactory: new TestOutputLoggerFactory(output));
        var received = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.AddOrUpdate(m.MessageId, 1, (_, n) => n + 1);
            return Task.FromResult(Settlement.Complete);
        });

        await bus.PublishAsync(queue, NewMessage("before"));
        await Until(() => received.ContainsKey("before"), "the message published before the restart");

        await RabbitMqBroker.CtlAsync("stop_app");
        var publishedWhileDown = bus.PublishAsync(queue, NewMessage("while-down"));
        await Task.Delay(1000);
        await RabbitMqBroker.CtlAsync("start_app");
        await RabbitMqBroker.CtlAsync("await_startup");
        await publishedWhileDown.WaitAsync(Wait);

        var after = Enumerable.Range(0, 20).Select(i => $"after-{i:D2}").ToList();
        foreach (var id in after)
        {
            await bus.PublishAsync(queue, NewMessage(id));
        }

        await Until(
            () => after.All(received.ContainsKey) && received.ContainsKey("while-down"),
            $"every message published after the restart; have {string.Join(", ", received.Keys.Order(StringComparer.Ordinal))}");
        Assert.All(after, id => Assert.Equal(1, received[id]));
    }

    private static Message NewMessage(string id)
        => Message.Create(new CollectInventory(), id, "cluster1", "node-a", DateTimeOffset.UtcNow);

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
