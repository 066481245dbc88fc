using System.Collections.Concurrent;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// What the SDK adapter does beyond the contract, on the Service Bus–shaped peer: lock renewal, a lost lock reported,
/// link-only recovery after a forced or idle detach, refused credentials, whole-message size.
/// </summary>
public sealed class ServiceBusAdapterTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
    private readonly ServiceBusPeer _peer = new();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _peer.Dispose();

    [Fact]
    public async Task A_handler_slower_than_the_lock_keeps_it_through_auto_renewal()
    {
        _peer.LockDuration = TimeSpan.FromSeconds(1.5);
        await using var bus = CreateBus();
        var queue = NewQueue();
        var done = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(4), ct);
            done.TrySetResult();
            return Settlement.Complete;
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 });
        await bus.PublishAsync(queue, NewMessage("slow-" + queue));

        await done.Task.WaitAsync(Wait);
        await EventuallyAsync(async () => await _peer.LockedCountAsync(queue) == 0 && await _peer.ReadyCountAsync(queue) == 0);
        Assert.Equal(1, _peer.Transfers("slow-" + queue));
        Assert.True(_peer.LockRenewals >= 2, $"{_peer.LockRenewals} renewal(s) over a 4 s handler with a 1.5 s lock.");
        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == 6001);
    }

    [Fact]
    public async Task A_lock_lost_before_settling_is_logged_and_the_message_comes_back()
    {
        _peer.LockDuration = TimeSpan.FromSeconds(1);
        await using var bus = CreateBus(new MessageBusOptions { MaxAutoLockRenewalDuration = TimeSpan.Zero });
        var queue = NewQueue();
        var id = "lapse-" + queue;
        var attempts = new ConcurrentQueue<int>();
        var second = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, async (m, ct) =>
        {
            attempts.Enqueue(m.DeliveryAttempt);
            if (attempts.Count == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
            }
            else
            {
                second.TrySetResult();
            }

            return Settlement.Complete;
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 });
        await bus.PublishAsync(queue, NewMessage(id));

        await second.Task.WaitAsync(Wait);
        var lost = await EventuallyAsync(() => Task.FromResult(_logs.GetSnapshot().FirstOrDefault(r => r.Id.Id == 6001)));
        Assert.Equal(LogLevel.Error, lost!.Level);
        Assert.Contains(id, lost.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2], attempts.ToArray());
    }

    [Fact]
    public async Task A_forced_detach_recovers_that_link_only()
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
        await EventuallyAsync(() => Task.FromResult(received.Count == 2));
        var otherAttaches = _peer.Attaches[other];

        await _peer.DetachLinksAsync(detached);
        await bus.PublishAsync(detached, NewMessage("after-a-" + detached));
        await bus.PublishAsync(other, NewMessage("after-b-" + other));

        await EventuallyAsync(() => Task.FromResult(received.Count == 4));
        Assert.Equal(1, _peer.ConnectionsOpened);
        Assert.Equal(otherAttaches, _peer.Attaches[other]);
        Assert.All(received, id => Assert.Equal(1, _peer.Transfers(id)));
    }

    [Fact]
    public async Task Idle_links_detached_by_the_service_come_back_on_the_same_connection_and_lose_nothing()
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
        await EventuallyAsync(() => Task.FromResult(received.Count == 1));

        // Both the sender and the receiver link go idle and are detached.
        await EventuallyAsync(() => Task.FromResult(_peer.ForcedDetaches >= 2));
        await bus.PublishAsync(queue, NewMessage("second-" + queue));

        await EventuallyAsync(() => Task.FromResult(received.Count == 2));
        Assert.Equal(["first-" + queue, "second-" + queue], received.ToArray());
        Assert.Equal(1, _peer.ConnectionsOpened);
        Assert.All(received, id => Assert.Equal(1, _peer.Transfers(id)));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_as_unauthorized()
    {
        // The SDK retries a refused put-token before it gives up: short delays keep this test quick.
        await using var bus = MessageBusFactory.Create(_peer.ConnectionStringWithWrongKey, new MessageBusOptions { PublishTimeout = TimeSpan.FromSeconds(60), RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50) });

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.PublishAsync(NewQueue(), NewMessage("x")));

        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
    }

    [Theory]
    [InlineData(ProbeAccess.Send)]
    [InlineData(ProbeAccess.Receive)]
    public async Task A_probe_with_a_wrong_key_fails_unauthorized(ProbeAccess access)
    {
        await using var bus = MessageBusFactory.Create(_peer.ConnectionStringWithWrongKey, new MessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50) });

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.ProbeAsync(NewQueue(), access));

        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
    }

    [Theory]
    [InlineData(ServiceBusPeer.SendOnlyKeyName, ProbeAccess.Send, ProbeAccess.Receive)]
    [InlineData(ServiceBusPeer.ListenOnlyKeyName, ProbeAccess.Receive, ProbeAccess.Send)]
    public async Task A_probe_passes_only_for_the_right_the_policy_grants(string policy, ProbeAccess granted, ProbeAccess refused)
    {
        var queue = NewQueue();
        await using var bus = MessageBusFactory.Create(_peer.ConnectionStringFor(policy), new MessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50) });

        var passed = await bus.ProbeAsync(queue, granted);
        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.ProbeAsync(queue, refused));

        Assert.Equal(granted, passed.Access);
        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
        Assert.Contains($"'{(refused == ProbeAccess.Send ? "Send" : "Listen")}' claim(s) are required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_receive_probe_peeks_through_management_and_leaves_the_message_unlocked()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        await bus.PublishAsync(queue, NewMessage("peeked-" + queue));

        var empty = await bus.ProbeAsync(NewQueue(), ProbeAccess.Receive);
        var waiting = await bus.ProbeAsync(queue, ProbeAccess.Receive);

        Assert.Contains("empty", empty.Detail, StringComparison.Ordinal);
        Assert.Contains("a message is waiting", waiting.Detail, StringComparison.Ordinal);
        Assert.Equal((1, 0), (await _peer.ReadyCountAsync(queue), await _peer.LockedCountAsync(queue)));
        Assert.Equal(0, _peer.Transfers("peeked-" + queue));
    }

    [Fact]
    public async Task A_body_that_fits_only_without_its_properties_is_refused_whole()
    {
        await using var bus = CreateBus();
        var message = LargeMessages.BodyAtTheLimit("at-limit");
        Assert.True(MessageCodec.EncodeForWire(message).Bytes.Length <= Message.MaxEncodedBytes);

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.PublishAsync(NewQueue(), message));

        Assert.Equal(MessagingErrors.PublishRejected, error.Code);
    }

    private string NewQueue()
    {
        var queue = "gpu-test-" + Guid.NewGuid().ToString("N")[..16];
        _peer.CreateQueue(queue);
        return queue;
    }

    private static Message NewMessage(string id) => Message.Create(new CollectInventory(), id, "cluster1", "node-a", IssuedAt, "request-1");

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var value = await probe();
            if (value is true || (value is not bool && value is not null) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(20);
        }
    }

    private IMessageBus CreateBus(MessageBusOptions? options = null)
    {
        var bus = MessageBusFactory.Create(_peer.ConnectionString, options ?? new MessageBusOptions(), loggerFactory: LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(_logs))));
        Assert.IsType<ServiceBusMessageBus>(bus);
        return bus;
    }
}
