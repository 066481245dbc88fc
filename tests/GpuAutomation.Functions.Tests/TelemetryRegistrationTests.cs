using System.Diagnostics;
using System.Diagnostics.Metrics;
using GpuAutomation.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GpuAutomation.Functions.Tests;

/// <summary>Where the handler's telemetry goes: Application Insights in Azure, nothing unless configured.</summary>
public sealed class TelemetryRegistrationTests
{
    // The shape of an Application Insights connection string; nothing is sent (the app is never started).
    private const string Insights = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/";

    [Fact]
    public async Task Nothing_is_registered_without_configuration()
    {
        await using var app = Program.CreateApp([]);

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task With_the_Application_Insights_connection_string_of_the_Function_App_traces_and_metrics_are_exported()
    {
        await using var app = Program.CreateApp([$"--APPLICATIONINSIGHTS_CONNECTION_STRING={Insights}"]);

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task With_metrics_exported_the_queue_and_capacity_gauges_exist_before_any_report_arrives()
    {
        await using var app = Program.CreateApp(["--GpuAutomation:Telemetry:Exporter=Otlp", "--GpuAutomation:Telemetry:OtlpEndpoint=http://127.0.0.1:9"]);
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var published = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == factory)
                {
                    published.Add(instrument.Name);
                }
            },
        };

        Assert.NotNull(app.Services.GetService<MeterProvider>());
        listener.Start();

        Assert.Contains("gpu.queue.length", published);
        Assert.Contains("gpu.partitions.free", published);
    }

    [Theory]
    [InlineData(ActivityTraceFlags.None)]
    [InlineData(ActivityTraceFlags.Recorded)]
    public void A_remote_parent_marked_not_sampled_does_not_silence_the_handler(ActivityTraceFlags parentFlags)
    {
        // E.g. a traceparent the Functions host or a client sends with flags 00: the configured ratio (1 here) decides.
        var spans = Path.Combine(Path.GetTempPath(), $"spans-{Guid.NewGuid():N}.jsonl");
        var services = new ServiceCollection();
        services.AddGpuAutomationTelemetry("test", new TelemetryOptions { SpanFile = spans, SamplingRatio = 1 });
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource("GpuAutomation.Tests.Sampling");
        var remote = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), parentFlags, isRemote: true);

        using var span = source.StartActivity("POST partition-requests", ActivityKind.Server, remote);

        Assert.NotNull(span);
        Assert.True(span.Recorded);
        Assert.Equal(remote.TraceId, span.TraceId);
    }

    [Fact]
    public async Task A_traceparent_the_host_forwards_is_continued_by_the_handler_even_marked_not_sampled()
    {
        // Whether the Functions host forwards one is not settled by a public source (README, Telemetry); if it does,
        // the API call joins that trace, and flags 00 (e.g. a host span nobody samples) don't drop it.
        var spans = Path.Combine(Path.GetTempPath(), $"spans-{Guid.NewGuid():N}.jsonl");
        await using var app = await RunningApp.StartAsync(Hosting.HostingMode.FunctionsHost, settings: new Dictionary<string, string>
        {
            ["GpuAutomation:Telemetry:SpanFile"] = spans,
        });
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/health");
        request.Headers.Add("traceparent", $"00-{parent.TraceId.ToHexString()}-{parent.SpanId.ToHexString()}-00");

        using var response = await app.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();

        var lines = await SpanLinesAsync(spans, l => l.Contains(parent.TraceId.ToHexString(), StringComparison.Ordinal));
        var server = Assert.Single(lines);
        Assert.Contains($"\"parentSpanId\":\"{parent.SpanId.ToHexString()}\"", server, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"Server\"", server, StringComparison.Ordinal);
    }

    /// <summary>The span file's lines that match, once some have been written (a span is written when it ends).</summary>
    private static async Task<List<string>> SpanLinesAsync(string file, Func<string, bool> match)
    {
        for (var wait = 0; wait < 100; wait++)
        {
            if (File.Exists(file))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                var lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(match).ToList();
                if (lines.Count > 0)
                {
                    return lines;
                }
            }

            await Task.Delay(50);
        }

        return [];
    }

    [Fact]
    public void With_equal_ratios_a_consumer_keeps_exactly_the_traces_its_publisher_kept()
    {
        var sampler = TelemetryServiceCollectionExtensions.Sampler(0.5);
        var kept = 0;
        for (var i = 0; i < 200; i++)
        {
            var traceId = ActivityTraceId.CreateRandom();
            var root = sampler.ShouldSample(new SamplingParameters(default, traceId, "publish", ActivityKind.Producer)).Decision == SamplingDecision.RecordAndSample;
            var flags = root ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
            var parent = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), flags, isRemote: true);
            var consumer = sampler.ShouldSample(new SamplingParameters(parent, traceId, "process", ActivityKind.Consumer)).Decision == SamplingDecision.RecordAndSample;
            Assert.Equal(root, consumer);
            kept += root ? 1 : 0;
        }

        Assert.InRange(kept, 50, 150);
    }

    [Fact]
    public async Task Exporter_None_wins_over_the_connection_string_as_the_Sandbox_sets_it()
    {
        await using var app = Program.CreateApp([$"--APPLICATIONINSIGHTS_CONNECTION_STRING={Insights}", "--GpuAutomation:Telemetry:Exporter=None"]);

        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void A_span_file_alone_traces_without_exporting_metrics()
    {
        var options = TelemetryOptions.From(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["SpanFile"] = "spans.jsonl", ["SamplingRatio"] = "0.25" })
            .Build());

        Assert.True(options.IsEnabled);
        Assert.Equal(TelemetryExporter.None, options.Exporter);
        Assert.Equal(0.25, options.SamplingRatio);
    }

    [Theory]
    [InlineData("SamplingRatio", "1.5")]
    [InlineData("SamplingRatio", "half")]
    [InlineData("Exporter", "Zipkin")]
    [InlineData("Exporter", "AzureMonitor")]
    public void Unusable_settings_are_refused_naming_the_setting(string name, string value)
    {
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [name] = value })
            .Build();

        var error = Assert.Throws<ArgumentException>(() => { TelemetryOptions.From(section); });
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
