using System.Collections.Concurrent;
using Amqp;
using Amqp.Framing;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Testing;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// Raw AMQPNetLite access to the test broker, beside the bus under test: sends bytes a broken publisher would send,
/// and reads the shared dead-letter queue (attached first, which declares it before anything is rejected).
/// </summary>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, AmqpMessage> _deadLetters = new(StringComparer.Ordinal);
    private const int DeadLetterCredit = 200;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _deadLettersUntilCredit;
    private Connection? _connection;
    private Session? _session;
    private ReceiverLink? _deadLetterReceiver;

    public static string ConnectionString => TestServices.AmqpAddress.ToString();

    public async Task InitializeAsync() => await ConnectAsync();

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.CloseAsync();
        }
    }

    public async Task SendRawAsync(string queue, byte[] body, string messageId)
    {
        await EnsureConnectedAsync();
        var sender = new SenderLink(_session!, "raw-" + Guid.NewGuid().ToString("N"), AmqpTerminus.Sender(queue), null);
        await sender.SendAsync(new AmqpMessage { Properties = new Properties { MessageId = messageId }, BodySection = new Data { Binary = body } });
        await sender.CloseAsync();
    }

    /// <summary>Reads the shared dead-letter queue until <paramref name="messageId"/> shows up; keeps what others wait for.</summary>
    public async Task<AmqpMessage> WaitForDeadLetterAsync(string messageId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_deadLetters.TryGetValue(messageId, out var found))
            {
                return found;
            }

            await EnsureConnectedAsync();
            var message = await _deadLetterReceiver!.ReceiveAsync(TimeSpan.FromMilliseconds(200));
            if (message is not null)
            {
                _deadLetterReceiver.Accept(message);
                if (--_deadLettersUntilCredit == 0)
                {
                    _deadLetterReceiver.SetCredit(DeadLetterCredit, autoRestore: false);
                    _deadLettersUntilCredit = DeadLetterCredit;
                }

                if (message.Properties?.MessageId is { } id)
                {
                    _deadLetters[id] = message;
                }
            }
        }

        throw new TimeoutException($"{messageId} did not arrive in {TestServices.AmqpDeadLetterQueue} within {timeout}.");
    }

    private async Task EnsureConnectedAsync()
    {
        if (_connection is { IsClosed: false })
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            if (_connection is { IsClosed: false })
            {
                return;
            }

            await ConnectAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ConnectAsync()
    {
        _connection = await new ConnectionFactory().CreateAsync(new Address(ConnectionString));
        _session = new Session(_connection);
        // Durable, like every queue the bus attaches: RabbitMQ refuses an attach whose durability differs from the queue's.
        _deadLetterReceiver = new ReceiverLink(_session, "test-dead-letters", AmqpTerminus.Receiver(TestServices.AmqpDeadLetterQueue), null);
        // Manual credit, granted again only when used up: RabbitMQ 3.10 overshoots credit restored mid-flight.
        _deadLetterReceiver.SetCredit(DeadLetterCredit, autoRestore: false);
        _deadLettersUntilCredit = DeadLetterCredit;
    }
}
