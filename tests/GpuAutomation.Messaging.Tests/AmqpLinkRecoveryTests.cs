using System.Collections.Concurrent;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// The AMQP 1.0 adapter recovers a detached link on its live connection (audit fidelity-azure.md 3.11, problem 2):
/// the connection, the other links and their deliveries survive, and nothing is redelivered.
/// </summary>
public sealed class AmqpLinkRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
    private readonly ServiceBusPeer _peer = new(anonymousAmqp: true);

    public void Dispose() => _peer.Dispose();

    [Fact]
    public async Task A_forced_detach_replaces_that_link_only()
    {
        await using var bus = CreateBus();
        var (detached, other) = (NewQueue(), NewQueue());
        var received = new ConcurrentQueue<string>();
        MessageHandler record = (m, _) =>
        {
            received.Enqueue(m.MessageId);
            return Task.FromResult(Settlement.Complete);
        };
        await using var a = await bus.StartConsumerAsync(detached, record, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 });
        await using var b = await bus.StartConsumerAsync(other, record, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 });
        await bus.PublishAsync(detached, NewMessage("before-a-" + detached));
        await bus.PublishAsync(other, NewMessage("before-b-" + other));
        await EventuallyAsync(() => received.Count == 2);
        var otherAttaches = _peer.Attaches[other];

        await _peer.DetachLinksAsync(detached);
        await bus.PublishAsync(detached, NewMessage("after-a-" + detached));
        await bus.PublishAsync(other, NewMessage("after-b-" + other));

        await EventuallyAsync(() => received.Count == 4);
        Assert.Equal(1, _peer.ConnectionsOpened);
        Assert.Equal(otherAttaches, _peer.Attaches[other]);
        Assert.All(received, id => Assert.Equal(1, _peer.Transfers(id)));
    }

    [Fact]
    public async Task Idle_links_detached_by_the_broker_come_back_on_the_same_connection()
    {
        _peer.LinkIdleTimeout = TimeSpan.FromSeconds(1);
        await using var bus = CreateBus();
        var queue = NewQueue();
        var received = new ConcurrentQueue<string>();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.Enqueue(m.MessageId);
            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 });
        await bus.PublishAsync(queue, NewMessage("first-" + queue));
        await EventuallyAsync(() => received.Count == 1);

        await EventuallyAsync(() => _peer.ForcedDetaches >= 2);
        await bus.PublishAsync(queue, NewMessage("second-" + queue));

        await EventuallyAsync(() => received.Count == 2);
        Assert.Equal(["first-" + queue, "second-" + queue], received.ToArray());
        Assert.Equal(1, _peer.ConnectionsOpened);
        Assert.All(received, id => Assert.Equal(1, _peer.Transfers(id)));
    }

    private string NewQueue()
    {
        var queue = "gpu-test-" + Guid.NewGuid().ToString("N")[..16];
        _peer.CreateQueue(queue);
        return queue;
    }

    private static Message NewMessage(string id) => Message.Create(new CollectInventory(), id, "cluster1", "node-a", IssuedAt, "request-1");

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    private IMessageBus CreateBus()
        => MessageBusFactory.Create($"amqp://127.0.0.1:{_peer.Port}", new AmqpMessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(50) }, loggerFactory: new TestOutputLoggerFactory(output));
}
