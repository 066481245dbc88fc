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
