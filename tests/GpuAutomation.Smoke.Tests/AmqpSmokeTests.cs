using Amqp;
using Amqp.Framing;
using GpuAutomation.Testing;

namespace GpuAutomation.Smoke.Tests;

/// <summary>Proves the test script's RabbitMQ speaks AMQP 1.0 through AMQPNetLite and dead-letters rejected messages.</summary>
public sealed class AmqpSmokeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Message_sent_is_received_and_a_rejected_one_arrives_in_the_dead_letter_queue()
    {
        var queue = "gpu-smoke-" + Guid.NewGuid().ToString("N")[..12];
        var connection = await new ConnectionFactory().CreateAsync(new Address(TestServices.AmqpAddress.ToString()));
        try
        {
            var session = new Session(connection);
            // Durable termini (configuration), as the bus attaches them: RabbitMQ's AMQP 1.0 plugin declares the queue with
            // that durability and refuses an attach whose durability differs from an existing queue's.
            var deadLetters = new ReceiverLink(session, "smoke-dlq", Durable(TestServices.AmqpDeadLetterQueue), null);
            var receiver = new ReceiverLink(session, "smoke-receiver", Durable(queue), null);
            receiver.SetCredit(10, autoRestore: false);
            var sender = new SenderLink(session, "smoke-sender", new Attach { Source = new Source(), Target = new Target { Address = queue, Durable = 1 } }, null);

            await sender.SendAsync(NewMessage("accepted-" + queue, "first"));
            await sender.SendAsync(NewMessage("rejected-" + queue, "second"));

            var first = await receiver.ReceiveAsync(Wait);
            Assert.NotNull(first);
            Assert.Equal("accepted-" + queue, first.Properties.MessageId);
            Assert.Equal("first", first.Body);
            receiver.Accept(first);

            var second = await receiver.ReceiveAsync(Wait);
            Assert.NotNull(second);
            receiver.Reject(second, new Error(new Amqp.Types.Symbol("com.microsoft:dead-letter")) { Description = "smoke test" });

            deadLetters.SetCredit(50, autoRestore: true);
            Amqp.Message? dead = null;
            for (var i = 0; i < 50 && dead is null; i++)
            {
                var candidate = await deadLetters.ReceiveAsync(Wait);
                Assert.NotNull(candidate);
                deadLetters.Accept(candidate);
                if (candidate.Properties?.MessageId == "rejected-" + queue)
                {
                    dead = candidate;
                }
            }

            Assert.NotNull(dead);
            Assert.Equal("second", dead.Body);
            Assert.Null(await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
            await sender.CloseAsync();
            await receiver.CloseAsync();
            await deadLetters.CloseAsync();
            await session.CloseAsync();
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private static Attach Durable(string queue) => new() { Source = new Source { Address = queue, Durable = 1 }, Target = new Target() };

    private static Amqp.Message NewMessage(string id, string body)
        => new(body) { Properties = new Properties { MessageId = id, ContentType = "text/plain" } };
}
