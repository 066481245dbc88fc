using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Amqp;
using Amqp.Framing;
using Amqp.Types;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using AmqpMessage = Amqp.Message;
using Message = GpuAutomation.Contracts.Messaging.Message;

// Publish→consume through our bus beside the bare client library doing the same work: the Service Bus adapter
// against the bare Azure.Messaging.ServiceBus SDK on the in-process Service Bus-shaped peer of the tests, and the AMQP
// adapter against bare AMQPNetLite on the RabbitMQ of scripts/dev-services.sh. Prints figures; asserts nothing.
// Usage: dotnet run -c Release -- [repetitions] [both|sdk|amqp|tracing]
// "tracing": the round trip through the bus with the OpenTelemetry SDK off and on (TracingOverhead), on the in-memory
// bus (the Sandbox's) and the AMQP adapter on RabbitMQ (the end-to-end tests' and on-prem setups').
//
// Like with like, so the ratio is the bus's own overhead: both sides send the same AMQP message (the bus's
// properties and body, encoded inside the timed part), publish one awaited send at a time per publisher, receive on
// a link of their own session with the same prefetch granted in the same batches, take deliveries with the same
// number of consumers, and accept after the consumer has the message. Latency runs on both sides from before the
// publish to the moment consumer code holds the decoded message; how the consumer then tells the publisher is the
// same on both sides and outside the timed part. Every timed phase starts with a primed queue and attached links,
// the sides alternate which goes first, and the summary is the median of the per-repetition ratios.
var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var mode = args.Length > 1 ? args[1] : "both";
const int RoundTrips = 2000;
const int Bulk = 10_000;
const int Publishers = 8;
const int BulkConsumers = 4;
const int BulkPrefetch = 64;
const int RoundTripPrefetch = 8;
var run = Guid.NewGuid().ToString("N")[..8];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $".NET {Environment.Version}, {Environment.ProcessorCount} cores; load {LoadAverage()}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{repetitions} repetitions of: {RoundTrips} sequential round trips (1 consumer, prefetch {RoundTripPrefetch}); {Bulk} messages by {Publishers} publishers ({BulkConsumers} consumers, prefetch {BulkPrefetch})"));

if (mode == "tracing")
{
    // Sequential round trips as above; the in-memory bus shows the instrumentation against the smallest base.
    await using (var memory = new OurBus(new GpuAutomation.Messaging.InMemory.InMemoryMessageBus(), $"gpu-bench-trace-{run}"))
    {
        await TracingOverhead.RunAsync(memory, "in-memory bus", repetitions, RoundTrips, RoundTripPrefetch);
    }

    if (Environment.GetEnvironmentVariable("GPUAUTO_TEST_AMQP") is not { Length: > 0 } amqp)
    {
        Console.Error.WriteLine("GPUAUTO_TEST_AMQP is not set: run `bash scripts/dev-services.sh &` and `source scratch/dev-services.env` first.");
        return 1;
    }

    await using (var rabbit = new OurBus(AmqpMessageBus.Create(amqp), $"gpu-bench-trace-{run}"))
    {
        await TracingOverhead.RunAsync(rabbit, $"AMQP 1.0 adapter on RabbitMQ {amqp}", repetitions, RoundTrips, RoundTripPrefetch);
    }

    return 0;
}

if (mode is "both" or "sdk")
{
    // The Service Bus adapter against the bare SDK, both on the in-process Service Bus-shaped peer the tests own
    // (no Service Bus here): the same messages, the same processor settings, explicit complete on both sides.
    using var peer = new GpuAutomation.Messaging.Tests.ServiceBusPeer();
    Console.WriteLine();
    Console.WriteLine($"== Service Bus SDK adapter vs bare Azure.Messaging.ServiceBus, on the in-process peer 127.0.0.1:{peer.Port}");
    // The peer, like Service Bus, refuses links to queues that were not created first.
    peer.CreateQueue($"gpu-bench-bare-{run}");
    peer.CreateQueue($"gpu-bench-bus-{run}");
    await using var bareSdk = new BareSdk(peer.ConnectionString, $"gpu-bench-bare-{run}");
    await using var sdkBus = new OurBus(MessageBusFactory.Create(peer.ConnectionString), $"gpu-bench-bus-{run}");
    await CompareAsync(bareSdk, sdkBus, "1.05x");
}

if (mode is "both" or "amqp")
{
    var address = Environment.GetEnvironmentVariable("GPUAUTO_TEST_AMQP");
    if (string.IsNullOrEmpty(address))
    {
        Console.Error.WriteLine("GPUAUTO_TEST_AMQP is not set: run `bash scripts/dev-services.sh &` and `source scratch/dev-services.env` first.");
        return 1;
    }

    Console.WriteLine();
    Console.WriteLine($"== AMQP 1.0 adapter vs bare AMQPNetLite, on RabbitMQ {address}");
    await using var bare = await BareAmqp.OpenAsync(address, $"gpu-bench-bare-{run}");
    await using var bus = new OurBus(AmqpMessageBus.Create(address), $"gpu-bench-bus-{run}");
    await CompareAsync(bare, bus, "1.2x");
}

return 0;

async Task CompareAsync(IBenchSide bare, IBenchSide bus, string goal)
{
    Console.WriteLine("warming up");
    for (var w = 0; w < 2; w++)
    {
        foreach (var side in w == 0 ? [bare, bus] : new IBenchSide[] { bus, bare })
        {
            await Bench.RoundTripsAsync(side, 1000, RoundTripPrefetch);
            await Bench.ThroughputAsync(side, 5000, Publishers, BulkConsumers, BulkPrefetch);
        }
    }

    // The JIT recompiles hot methods in the background, later while other methods are still new: let it finish, or
    // the first timed side pays for it (it was bare, at 80-110 us of CPU per message instead of 60-70).
    await Task.Delay(TimeSpan.FromSeconds(1));

    var results = new List<Repetition>();
    for (var r = 0; r < repetitions; r++)
    {
        // Alternate the order so neither side always runs on a machine the other has just warmed or loaded.
        IBenchSide[] order = r % 2 == 0 ? [bare, bus] : [bus, bare];
        var latency = new Dictionary<IBenchSide, List<double>>();
        var bulk = new Dictionary<IBenchSide, Throughput>();
        foreach (var side in order)
        {
            latency[side] = await Bench.RoundTripsAsync(side, RoundTrips, RoundTripPrefetch);
        }

        foreach (var side in order)
        {
            bulk[side] = await Bench.ThroughputAsync(side, Bulk, Publishers, BulkConsumers, BulkPrefetch);
        }

        var repetition = new Repetition(order[0].Name, latency[bare], latency[bus], bulk[bare], bulk[bus]);
        results.Add(repetition);
        Console.WriteLine(repetition.Line(r + 1));
    }

    Console.WriteLine();
    Console.WriteLine(Repetition.Header);
    for (var r = 0; r < results.Count; r++)
    {
        Console.WriteLine(results[r].Line(r + 1));
    }

    var pooledBare = results.SelectMany(r => r.BareLatency).ToList();
    var pooledBus = results.SelectMany(r => r.BusLatency).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, 
        $"{"pooled",-14}{Bench.Percentile(pooledBare, 50),9:F3}{Bench.Percentile(pooledBus, 50),9:F3}{Bench.Percentile(pooledBus, 50) / Bench.Percentile(pooledBare, 50),7:F2}x" +
        $"{Bench.Percentile(pooledBare, 99),9:F3}{Bench.Percentile(pooledBus, 99),9:F3}{Bench.Percentile(pooledBus, 99) / Bench.Percentile(pooledBare, 99),7:F2}x" +
        $"{Bench.Median(results.Select(r => r.Bare.Rate)),10:F0}{Bench.Median(results.Select(r => r.Bus.Rate)),10:F0}{"",8}" +
        $"{Bench.Median(results.Select(r => r.Bare.CpuMicroseconds)),8:F1}{Bench.Median(results.Select(r => r.Bus.CpuMicroseconds)),8:F1}" +
        $"{Bench.Median(results.Select(r => r.Bare.AllocatedBytes)),8:F0}{Bench.Median(results.Select(r => r.Bus.AllocatedBytes)),8:F0}  (throughput columns: medians)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, 
        $"median of the per-repetition ratios (bus / bare; throughput as time): p50 {Bench.Median(results.Select(r => r.P50Ratio)):F2}x, p99 {Bench.Median(results.Select(r => r.P99Ratio)):F2}x, throughput {Bench.Median(results.Select(r => r.TimeRatio)):F2}x (goal <= {goal}); CPU per message {Bench.Median(results.Select(r => r.Bus.CpuMicroseconds / r.Bare.CpuMicroseconds)):F2}x"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load {LoadAverage()}"));
}


static string LoadAverage()
    => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "unknown";

/// <summary>One repetition's figures; latencies in milliseconds, rates in messages per second.</summary>
internal sealed record Repetition(string First, List<double> BareLatency, List<double> BusLatency, Throughput Bare, Throughput Bus)
{
    public const string Header =
        "                 round trip, ms                          | throughput (whole process)\n" +
        "rep first        bare p50  bus p50  ratio bare p99  bus p99  ratio bare msg/s bus msg/s  ratio(time) CPU us/msg  alloc B/msg\n" +
        "                                                                                                  bare    bus    bare    bus";

    public double P50Ratio => Bench.Percentile(BusLatency, 50) / Bench.Percentile(BareLatency, 50);

    public double P99Ratio => Bench.Percentile(BusLatency, 99) / Bench.Percentile(BareLatency, 99);

    public double TimeRatio => Bare.Rate / Bus.Rate;

    public string Line(int number) => string.Create(
        CultureInfo.InvariantCulture,
        $"{number,-4}{First,-10}{Bench.Percentile(BareLatency, 50),9:F3}{Bench.Percentile(BusLatency, 50),9:F3}{P50Ratio,7:F2}x" +
        $"{Bench.Percentile(BareLatency, 99),9:F3}{Bench.Percentile(BusLatency, 99),9:F3}{P99Ratio,7:F2}x" +
        $"{Bare.Rate,10:F0}{Bus.Rate,10:F0}{TimeRatio,7:F2}x    {Bare.CpuMicroseconds,8:F1}{Bus.CpuMicroseconds,8:F1}{Bare.AllocatedBytes,8:F0}{Bus.AllocatedBytes,8:F0}");
}

/// <summary>
/// A throughput phase: messages per second, and per message the CPU time and the bytes allocated by the whole process
/// (publishers, consumers and AMQPNetLite's I/O; the other side is idle meanwhile). Less swayed by a busy machine than
/// the rate, so they show what each side spends.
/// </summary>
internal sealed record Throughput(double Rate, double CpuMicroseconds, double AllocatedBytes);

/// <summary>What the timed phases need from a side: publish one message, and consume a queue.</summary>
internal interface IBenchSide
{
    string Name { get; }

    Task PublishAsync(Message message);

    /// <summary>Consumes with <paramref name="consumers"/> at once; <paramref name="onMessage"/> gets each decoded message before it is accepted.</summary>
    Task<IAsyncDisposable> ConsumeAsync(int consumers, int prefetch, Action<Message> onMessage);
}

internal static class Bench
{
    /// <summary>Sequential publish→consume round trips; the latency ends where the consumer holds the decoded message.</summary>
    public static async Task<List<double>> RoundTripsAsync(IBenchSide side, int count, int prefetch)
    {
        var arrived = NewArrival();
        await using (await side.ConsumeAsync(1, prefetch, _ => arrived.TrySetResult(Stopwatch.GetTimestamp())))
        {
            // Untimed: attaches the links and declares the queue.
            await side.PublishAsync(BenchMessages.New(-1));
            await arrived.Task;
            var latencies = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                arrived = NewArrival();
                var start = Stopwatch.GetTimestamp();
                await side.PublishAsync(BenchMessages.New(i));
                var at = await arrived.Task;
                latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
            }

            return latencies;
        }
    }

    /// <summary>From the first publish until the consumer holds the last message.</summary>
    public static async Task<Throughput> ThroughputAsync(IBenchSide side, int count, int publishers, int consumers, int prefetch)
    {
        var consumed = 0;
        var primed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (await side.ConsumeAsync(consumers, prefetch, _ =>
        {
            var n = Interlocked.Increment(ref consumed);
            (n == 1 ? primed : n == count + 1 ? all : null)?.TrySetResult();
        }))
        {
            await side.PublishAsync(BenchMessages.New(-1));
            await primed.Task;
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
            {
                for (var i = p; i < count; i += publishers)
                {
                    await side.PublishAsync(BenchMessages.New(i));
                }
            })));
            await all.Task;
            var elapsed = Stopwatch.GetElapsedTime(start);
            process.Refresh();
            return new Throughput(
                count / elapsed.TotalSeconds,
                (process.TotalProcessorTime - cpu).TotalMicroseconds / count,
                (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / count);
        }
    }

    public static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static TaskCompletionSource<long> NewArrival() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The same work with AMQPNetLite calls only: one connection, a sender link on its own session, and per consumer a
/// receiver link on its own session pumping into a channel that N loops take from, decode, and accept.
/// </summary>
internal sealed class BareAmqp : IBenchSide, IAsyncDisposable
{
    private static readonly Symbol ContentType = new(MessageCodec.ContentType);
    private readonly Connection _connection;
    private readonly SenderLink _sender;
    private readonly string _queue;

    private BareAmqp(Connection connection, string queue)
    {
        this._connection = connection;
        this._queue = queue;
        // Durable termini, as the bus attaches them: RabbitMQ then keeps the queue and its persistent messages on disk.
        _sender = new SenderLink(new Session(connection), "bare-sender-" + queue, new Attach { Source = new Source(), Target = new Target { Address = queue, Durable = 1 } }, null);
    }

    public string Name => "bare";

    public static async Task<BareAmqp> OpenAsync(string address, string queue)
        => new(await new ConnectionFactory().CreateAsync(new Address(address)), queue);

    public Task PublishAsync(Message message) => _sender.SendAsync(ToAmqp(message, MessageCodec.Encode(message)));

    public Task<IAsyncDisposable> ConsumeAsync(int consumers, int prefetch, Action<Message> onMessage)
        => Task.FromResult<IAsyncDisposable>(new Consumer(_connection, _queue, consumers, prefetch, onMessage));

    public async ValueTask DisposeAsync() => await _connection.CloseAsync();

    /// <summary>The message the bus sends: its header, properties and application properties, the codec's JSON as one data section.</summary>
    private static AmqpMessage ToAmqp(Message message, byte[] body)
    {
        var envelope = message.Envelope;
        var application = new ApplicationProperties();
        application.Map["schema-version"] = envelope.SchemaVersion;
        application.Map["cluster"] = envelope.Cluster;
        application.Map["node"] = envelope.Node;
        return new AmqpMessage
        {
            Header = new Header { Durable = true },
            Properties = new Properties
            {
                MessageId = envelope.MessageId,
                CorrelationId = envelope.CorrelationId,
                Subject = envelope.MessageType,
                ContentType = ContentType,
                CreationTime = envelope.IssuedAt.UtcDateTime,
            },
            ApplicationProperties = application,
            BodySection = new Data { Binary = body },
        };
    }

    private sealed class Consumer : IAsyncDisposable
    {
        private readonly Channel<AmqpMessage> _deliveries = Channel.CreateUnbounded<AmqpMessage>(new UnboundedChannelOptions { SingleWriter = true });
        private readonly ReceiverLink _receiver;
        private readonly Action<Message> _onMessage;
        private readonly int _prefetch;
        private readonly Task[] _loops;
        private long _received;
        private long _granted;

        public Consumer(Connection connection, string queue, int consumers, int prefetch, Action<Message> onMessage)
        {
            this._prefetch = prefetch;
            this._onMessage = onMessage;
            _receiver = new ReceiverLink(new Session(connection), "bare-receiver-" + Guid.NewGuid().ToString("N"), new Attach { Source = new Source { Address = queue, Durable = 1 }, Target = new Target() }, null);
            _loops = [.. Enumerable.Range(0, consumers).Select(_ => Task.Run(TakeLoopAsync))];
            _receiver.Start(0, (_, m) =>
            {
                Interlocked.Increment(ref _received);
                _deliveries.Writer.TryWrite(m);
            });
            _granted = prefetch;
            _receiver.SetCredit(prefetch, CreditMode.Manual);
        }

        public async ValueTask DisposeAsync()
        {
            // As the bus stops: let the loops finish and accept, then close the session, giving up after 5 s as the bus
            // does (RabbitMQ sometimes never answers the end frame, and AMQPNetLite would wait 60 s, then throw).
            _deliveries.Writer.TryComplete();
            await Task.WhenAll(_loops);
            try
            {
                await _receiver.Session.CloseAsync(TimeSpan.FromSeconds(5), null);
            }
            catch (TimeoutException)
            {
            }
        }

        private async Task TakeLoopAsync()
        {
            var reader = _deliveries.Reader;
            while (true)
            {
                AmqpMessage delivery;
                try
                {
                    // ReadAsync, not WaitToReadAsync: a write hands the delivery to one waiting loop instead of waking all of them.
                    delivery = await reader.ReadAsync();
                }
                catch (ChannelClosedException)
                {
                    return;
                }

                // The bus's credit rule: the next batch once the last is used up and taken (RabbitMQ 3.10 overshoots otherwise).
                var batch = Volatile.Read(ref _granted);
                if (Interlocked.Read(ref _received) == batch && reader.Count == 0 && Interlocked.CompareExchange(ref _granted, batch + _prefetch, batch) == batch)
                {
                    _receiver.SetCredit(_prefetch, CreditMode.Manual);
                }

                _onMessage(MessageCodec.Decode((byte[])delivery.Body));
                _receiver.Accept(delivery);
            }
        }
    }
}

/// <summary>The same work through IMessageBus.</summary>
internal sealed class OurBus(IMessageBus bus, string queue) : IBenchSide, IAsyncDisposable
{
    // What a handler that completes synchronously would return; the bus's API needs a task.
    private static readonly Task<Settlement> Completed = Task.FromResult(Settlement.Complete);
    private readonly IMessageBus _bus = bus;

    public string Name => "bus";

    public Task PublishAsync(Message message) => _bus.PublishAsync(queue, message);

    public async Task<IAsyncDisposable> ConsumeAsync(int consumers, int prefetch, Action<Message> onMessage)
        => await _bus.StartConsumerAsync(queue, (m, _) =>
        {
            onMessage(m.Message);
            return Completed;
        }, new ConsumerOptions { MaxConcurrency = consumers, PrefetchCount = prefetch });

    public ValueTask DisposeAsync() => _bus.DisposeAsync();
}

internal static class BenchMessages
{
    public static Message New(int i)
        => Message.Create(new CollectInventory(), "bench-" + i.ToString(CultureInfo.InvariantCulture), "cluster1", "node-a", DateTimeOffset.UtcNow, "request-1");
}
