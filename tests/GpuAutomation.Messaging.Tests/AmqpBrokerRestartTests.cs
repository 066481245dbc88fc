using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using Xunit.Abstractions;
using AmqpMessage = Amqp.Message;
using Message = GpuAutomation.Contracts.Messaging.Message;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// The AMQP adapter across a whole broker restart, on a RabbitMQ node of the test's own (never the shared broker):
/// the test bed must keep queued work like production does (issue 16 item 9).
/// </summary>
public sealed class AmqpBrokerRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private DedicatedRabbitMqNode? _node;

    private DedicatedRabbitMqNode Node => _node!;

    public async Task InitializeAsync() => _node = await DedicatedRabbitMqNode.StartAsync(output);

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_broker_restart_loses_no_queued_command_and_no_dead_lettered_message()
    {
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var commands = "gpu-commands-restart-" + suffix;
        var poisoned = "gpu-poison-restart-" + suffix;
        await DeclareDeadLetterQueueAsync();
        var queued = Enumerable.Range(0, 3).Select(i => $"command-{i}").ToList();
        await using (var bus = CreateBus())
        {
            foreach (var id in queued)
            {
                await bus.PublishAsync(commands, NewMessage(id));
            }

            await bus.PublishAsync(poisoned, NewMessage("poison"));
            var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var consumer = await bus.StartConsumerAsync(poisoned, (_, _) =>
            {
                settled.TrySetResult();
                return Task.FromResult(Settlement.DeadLetter("test-poison", "dead-lettered before the restart"));
            });
            await settled.Task.WaitAsync(Wait);
            await UntilAsync(async () => (await QueueDepthsAsync()).GetValueOrDefault(DedicatedRabbitMqNode.DeadLetterQueue) == 1, "the poison message in the dead-letter queue");
        }

        output.WriteLine("before the restart: " + string.Join(", ", (await QueueDepthsAsync()).Select(q => $"{q.Key}={q.Value}")));
        await Node.StopAsync();
        await Node.StartAgainAsync();
        output.WriteLine("after the restart: " + string.Join(", ", (await QueueDepthsAsync()).Select(q => $"{q.Key}={q.Value}")));

        var received = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using (var bus = CreateBus())
        {
            await using var consumer = await bus.StartConsumerAsync(commands, (m, _) =>
            {
                received.AddOrUpdate(m.MessageId, 1, (_, n) => n + 1);
                return Task.FromResult(Settlement.Complete);
            });
            await UntilAsync(
                () => Task.FromResult(queued.All(received.ContainsKey)),
                $"every command queued before the restart; have {string.Join(", ", received.Keys.Order(StringComparer.Ordinal))}");
        }

        Assert.Equal("poison", (await ReceiveDeadLetterAsync())?.Properties?.MessageId);
    }

    [Fact]
    public async Task After_a_broker_restart_the_bus_reconnects_and_every_message_published_after_it_is_delivered()
    {
        var queue = "gpu-test-restart-" + Guid.NewGuid().ToString("N")[..12];
        await using var bus = CreateBus();
        var received = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.AddOrUpdate(m.MessageId, 1, (_, n) => n + 1);
            return Task.FromResult(Settlement.Complete);
        });

        await bus.PublishAsync(queue, NewMessage("before"));
        await UntilAsync(() => Task.FromResult(received.ContainsKey("before")), "the message published before the restart");

        await Node.StopAsync();
        var publishedWhileDown = bus.PublishAsync(queue, NewMessage("while-down"));
        await Task.Delay(1000);
        await Node.StartAgainAsync();
        await publishedWhileDown.WaitAsync(Wait);

        var after = Enumerable.Range(0, 20).Select(i => $"after-{i:D2}").ToList();
        foreach (var id in after)
        {
            await bus.PublishAsync(queue, NewMessage(id));
        }

        await UntilAsync(
            () => Task.FromResult(after.All(received.ContainsKey) && received.ContainsKey("while-down")),
            $"every message published after the restart; have {string.Join(", ", received.Keys.Order(StringComparer.Ordinal))}");
        Assert.All(after, id => Assert.Equal(1, received[id]));
    }

    private AmqpMessageBus CreateBus() => AmqpMessageBus.Create(
        Node.Address,
        new AmqpMessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(200), MaxRetryDelay = TimeSpan.FromSeconds(2), PublishTimeout = Wait },
        new TestOutputLoggerFactory(output));

    // The dead-letter queue is the deployment's (the policy names it), declared durable as every queue on the bus is.
    private async Task DeclareDeadLetterQueueAsync()
    {
        var connection = await new ConnectionFactory().CreateAsync(new Address(Node.Address));
        try
        {
            var receiver = new ReceiverLink(new Session(connection), "declare-dead-letters", AmqpTerminus.Receiver(DedicatedRabbitMqNode.DeadLetterQueue), null);
            await receiver.CloseAsync();
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private async Task<AmqpMessage?> ReceiveDeadLetterAsync()
    {
        var connection = await new ConnectionFactory().CreateAsync(new Address(Node.Address));
        try
        {
            var receiver = new ReceiverLink(new Session(connection), "read-dead-letters", AmqpTerminus.Receiver(DedicatedRabbitMqNode.DeadLetterQueue), null);
            var message = await receiver.ReceiveAsync(Wait);
            if (message is not null)
            {
                receiver.Accept(message);
            }

            return message;
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private async Task<Dictionary<string, int>> QueueDepthsAsync()
    {
        var listing = await Node.CtlAsync(TimeSpan.FromMinutes(1), "list_queues", "name", "messages", "durable", "--quiet", "--no-table-headers");
        output.WriteLine(listing.Trim());
        return listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t'))
            .Where(fields => fields.Length >= 2 && int.TryParse(fields[1], out _))
            .ToDictionary(fields => fields[0], fields => int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    private static Message NewMessage(string id)
        => Message.Create(new CollectInventory(), id, "cluster1", "node-a", DateTimeOffset.UtcNow);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(200);
        }
    }
}
