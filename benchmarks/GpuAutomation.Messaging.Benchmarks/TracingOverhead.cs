using System.Diagnostics;
using System.Globalization;
using GpuAutomation.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

/// <summary>
/// The bus round trip with the OpenTelemetry SDK off and on, alternating in one run (issue 20: overhead under 10 %).
/// "On" is the hosts' own registration (<see cref="TelemetryServiceCollectionExtensions.AddGpuAutomationTelemetry"/>):
/// every span sampled, recorded and handed to the batching OTLP exporter, whose endpoint refuses connections, so the
/// figure is the instrumentation's cost and not a collector's latency. "Off" is what tests and an unconfigured host
/// run: no provider, so no listener and the bus's StartActivity returns null. Each on-message checks that the
/// consumer runs in a recorded span (on) or in none (off), so a broken "on" can't pass for a cheap one.
/// </summary>
internal static class TracingOverhead
{
    public static async Task RunAsync(IBenchSide bus, string label, int repetitions, int roundTrips, int prefetch)
    {
        Console.WriteLine();
        Console.WriteLine($"== tracing off vs on: {label}");
        Console.WriteLine("warming up");
        foreach (var on in new[] { false, true, false, true })
        {
            await MeasureAsync(bus, on, 1000, prefetch);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        var off = new List<List<double>>();
        var traced = new List<List<double>>();
        Console.WriteLine("rep first   off p50   on p50  ratio  off p99   on p99  ratio   (ms)");
        for (var r = 0; r < repetitions; r++)
        {
            // Alternate which goes first, so neither always runs on a machine the other just warmed or loaded.
            foreach (var on in r % 2 == 0 ? new[] { false, true } : [true, false])
            {
                (on ? traced : off).Add(await MeasureAsync(bus, on, roundTrips, prefetch));
            }

            Console.WriteLine(Line($"{r + 1,-4}{(r % 2 == 0 ? "off" : "on"),-4}", off[^1], traced[^1]));
        }

        Console.WriteLine(Line($"{"pooled",-8}", [.. off.SelectMany(l => l)], [.. traced.SelectMany(l => l)]));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"median of the per-repetition ratios (on / off): p50 {Bench.Median(off.Zip(traced, (a, b) => Bench.Percentile(b, 50) / Bench.Percentile(a, 50))):F2}x, p99 {Bench.Median(off.Zip(traced, (a, b) => Bench.Percentile(b, 99) / Bench.Percentile(a, 99))):F2}x (goal <= 1.10x); load {LoadAverage()}"));
    }

    private static async Task<List<double>> MeasureAsync(IBenchSide bus, bool on, int count, int prefetch)
    {
        using var telemetry = on ? Start() : null;
        var recorded = 0;
        var unrecorded = 0;
        var arrived = NewArrival();
        await using (await bus.ConsumeAsync(1, prefetch, _ =>
        {
            // The consumer's own span is current while the handler runs (DeliveryProcessor starts it).
            if (Activity.Current is { Recorded: true })
            {
                Interlocked.Increment(ref recorded);
            }
            else
            {
                Interlocked.Increment(ref unrecorded);
            }

            arrived.TrySetResult(Stopwatch.GetTimestamp());
        }))
        {
            await bus.PublishAsync(BenchMessages.New(-1));
            await arrived.Task;
            var latencies = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                arrived = NewArrival();
                var start = Stopwatch.GetTimestamp();
                await bus.PublishAsync(BenchMessages.New(i));
                latencies.Add(Stopwatch.GetElapsedTime(start, await arrived.Task).TotalMilliseconds);
            }

            if ((on ? unrecorded : recorded) != 0)
            {
                throw new InvalidOperationException($"tracing {(on ? "on" : "off")}: {recorded} deliveries handled in a recorded span, {unrecorded} not.");
            }

            return latencies;
        }
    }

    private static ServiceProvider Start()
    {
        var services = new ServiceCollection();
        services.AddGpuAutomationTelemetry("gpu-bench", new TelemetryOptions
        {
            Exporter = TelemetryExporter.Otlp,
            OtlpEndpoint = new Uri("http://127.0.0.1:9"),
            SamplingRatio = 1,
        });
        var provider = services.BuildServiceProvider();
        // In a host the hosted service builds these at start; here resolving them does.
        _ = provider.GetRequiredService<TracerProvider>();
        _ = provider.GetRequiredService<MeterProvider>();
        return provider;
    }

    private static string Line(string head, List<double> off, List<double> on) => string.Create(
        CultureInfo.InvariantCulture,
        $"{head}{Bench.Percentile(off, 50),9:F3}{Bench.Percentile(on, 50),9:F3}{Bench.Percentile(on, 50) / Bench.Percentile(off, 50),6:F2}x{Bench.Percentile(off, 99),9:F3}{Bench.Percentile(on, 99),9:F3}{Bench.Percentile(on, 99) / Bench.Percentile(off, 99),6:F2}x");

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "unknown";

    private static TaskCompletionSource<long> NewArrival() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
