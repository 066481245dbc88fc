using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Amqp;
using Amqp.Framing;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using AmqpMessage = Amqp.Message;
using Message = GpuAutomation.Contracts.Messaging.Message;

// Publish→consume through our bus beside bare AMQPNetLite doing the same work (encode, send, receive, decode,
// accept) on the RabbitMQ of scripts/dev-services.sh. Prints figures; asserts nothing.
var address = Environment.GetEnvironmentVariable("GPUAUTO_TEST_AMQP");
if (string.IsNullOrEmpty(address))
{
    Console.Error.WriteLine("GPUAUTO_TEST_AMQP is not set: run `bash scripts/dev-services.sh &` and `source scratch/dev-services.env` first.");
    return 1;
}

const int Warmup = 300;
const int RoundTrips = 2000;
const int Bulk = 10_000;
const int Publishers = 8;

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RabbitMQ {address}; {RoundTrips} sequential round trips, {Bulk} messages by {Publishers} publishers; .NET {Environment.Version}, {Environment.ProcessorCount} cores"));

var bare = new BareAmqp(address);
Console.WriteLine("warming up");
var bus = new OurBus(address);
await bare.RoundTripsAsync(Warmup);
await bus.RoundTripsAsync(Warmup);

Console.WriteLine("round trips");
var bareLatency = await bare.RoundTripsAsync(RoundTrips);
var busLatency = await bus.RoundTripsAsync(RoundTrips);
Console.WriteLine("throughput");
var bareRate = await bare.ThroughputAsync(Bulk, Publishers);
var busRate = await bus.ThroughputAsync(Bulk, Publishers);
var bareLatency2 = await bare.RoundTripsAsync(RoundTrips);
var busLatency2 = await bus.RoundTripsAsync(RoundTrips);

Print("bare AMQPNetLite", bareLatency, bareRate);
Print("bare AMQPNetLite (2nd)", bareLatency2, bareRate);
Print("GpuAutomation bus", busLatency, busRate);
Print("GpuAutomation bus (2nd)", busLatency2, busRate);
var p50 = Percentile(busLatency.Concat(busLatency2).ToList(), 50) / Percentile(bareLatency.Concat(bareLatency2).ToList(), 50);
var p99 = Percentile(busLatency.Concat(busLatency2).ToList(), 99) / Percentile(bareLatency.Concat(bareLatency2).ToList(), 99);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead: p50 {p50:F2}x, p99 {p99:F2}x, throughput {bareRate / busRate:F2}x (bus/bare time; goal <= 1.2x)"));
await bare.DisposeAsync();
await bus.DisposeAsync();
return 0;

static void Print(string name, List<double> latencies, double rate)
    => Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{name,-26} round trip p50 {Percentile(latencies, 50):F3} ms  p99 {Percentile(latencies, 99):F3} ms  mean {latencies.Average():F3} ms  | throughput {rate:F0} msg/s"));

static double Percentile(List<double> values, double percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}


/// <summary>The same work done with AMQPNetLite calls only: one connection, a sender, a receiver pumping into a channel.</summary>
internal sealed class BareAmqp(string address) : IAsyncDisposable
{
    private Connection? connection;

    public async Task<List<double>> RoundTripsAsync(int count)
    {
        var (sender, receiver, deliveries) = await OpenAsync("gpu-bench-bare-" + Guid.NewGuid().ToString("N")[..8], 8);
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await sender.SendAsync(ToAmqp(BenchMessages.New(i)));
            var received = await deliveries.Reader.ReadAsync();
            _ = MessageCodec.Decode((byte[])received.Body);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            receiver.Accept(received);
        }

        await CloseAsync(sender, receiver);
        return latencies;
    }

    public async Task<double> ThroughputAsync(int count, int publishers)
    {
        var (sender, receiver, deliveries) = await OpenAsync("gpu-bench-bare-" + Guid.NewGuid().ToString("N")[..8], 64);
        var start = Stopwatch.GetTimestamp();
        var consumed = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var received = await deliveries.Reader.ReadAsync();
                _ = MessageCodec.Decode((byte[])received.Body);
                receiver.Accept(received);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < count; i += publishers)
            {
                await sender.SendAsync(ToAmqp(BenchMessages.New(i)));
            }
        })));
        await consumed;
        var rate = count / Stopwatch.GetElapsedTime(start).TotalSeconds;
        await CloseAsync(sender, receiver);
        return rate;
    }

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.CloseAsync();
        }
    }

    private static AmqpMessage ToAmqp(Message message) => new()
    {
        Header = new Header { Durable = true },
        Properties = new Properties { MessageId = message.Envelope.MessageId, CorrelationId = message.Envelope.CorrelationId, Subject = message.Envelope.MessageType },
        BodySection = new Data { Binary = MessageCodec.Encode(message) },
    };

    private static async Task CloseAsync(SenderLink sender, ReceiverLink receiver)
    {
        await sender.Session.CloseAsync();
        await receiver.Session.CloseAsync();
    }

    private async Task<(SenderLink, ReceiverLink, Channel<AmqpMessage>)> OpenAsync(string queue, int credit)
    {
        connection ??= await new ConnectionFactory().CreateAsync(new Address(address));
        var sender = new SenderLink(new Session(connection), "bare-sender", queue);
        var deliveries = Channel.CreateUnbounded<AmqpMessage>();
        var receiver = new ReceiverLink(new Session(connection), "bare-receiver", queue);
        var received = 0;
        // Same credit scheme as the bus (a new batch once the last is used up): RabbitMQ 3.10 overshoots otherwise.
        receiver.Start(0, (link, m) =>
        {
            deliveries.Writer.TryWrite(m);
            if (++received % credit == 0)
            {
                ((ReceiverLink)link).SetCredit(credit, CreditMode.Manual);
            }
        });
        receiver.SetCredit(credit, CreditMode.Manual);
        return (sender, receiver, deliveries);
    }
}

/// <summary>The same work through IMessageBus.</summary>
internal sealed class OurBus(string address) : IAsyncDisposable
{
    private readonly AmqpMessageBus bus = AmqpMessageBus.Create(address);

    public async Task<List<double>> RoundTripsAsync(int count)
    {
        var queue = "gpu-bench-bus-" + Guid.NewGuid().ToString("N")[..8];
        TaskCompletionSource? arrived = null;
        await using var consumer = await bus.StartConsumerAsync(queue, (_, _) =>
        {
            arrived!.TrySetResult();
            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 8 });
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var start = Stopwatch.GetTimestamp();
            await bus.PublishAsync(queue, BenchMessages.New(i));
            await arrived.Task;
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return latencies;
    }

    public async Task<double> ThroughputAsync(int count, int publishers)
    {
        var queue = "gpu-bench-bus-" + Guid.NewGuid().ToString("N")[..8];
        var consumed = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await bus.StartConsumerAsync(queue, (_, _) =>
        {
            if (Interlocked.Increment(ref consumed) == count)
            {
                all.TrySetResult();
            }

            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 8, PrefetchCount = 64 });
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < count; i += publishers)
            {
                await bus.PublishAsync(queue, BenchMessages.New(i));
            }
        })));
        await all.Task;
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public ValueTask DisposeAsync() => bus.DisposeAsync();
}

internal static class BenchMessages
{
    public static Message New(int i)
        => Message.Create(new CollectInventory(), "bench-" + i.ToString(CultureInfo.InvariantCulture), "cluster1", "node-a", DateTimeOffset.UtcNow, "request-1");
}
