using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace GpuAutomation.Telemetry;

/// <summary>A host's telemetry settings (configuration section Telemetry of the HostRunner, GpuAutomation:Telemetry of the Functions app).</summary>
public sealed class TelemetryOptions
{
    public TelemetryExporter Exporter { get; set; } = TelemetryExporter.None;

    /// <summary>
    /// The share of traces kept, 0 to 1, decided on the trace id. A span whose parent was sampled is kept; one whose
    /// remote parent was not decides by the same ratio, so with the same ratio in every process a trace is kept or
    /// dropped whole (see <see cref="TelemetryServiceCollectionExtensions.Sampler"/>). Metrics are never sampled.
    /// </summary>
    public double SamplingRatio { get; set; } = 1.0;

    /// <summary>The Application Insights connection string (its ingestion endpoint; no key is used, local auth is off).</summary>
    public string? AzureMonitorConnectionString { get; set; }

    /// <summary>The OTLP endpoint; null uses the exporter's own default and OTEL_EXPORTER_OTLP_* variables.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>
    /// Also write every finished span as one JSON line to this file: what the end-to-end tests read from each process,
    /// and a way to look at one agent's spans in the field without a collector.
    /// </summary>
    public string? SpanFile { get; set; }

    public bool IsEnabled => Exporter != TelemetryExporter.None || SpanFile is not null;

    /// <summary>Reads Exporter, SamplingRatio, AzureMonitorConnectionString, OtlpEndpoint and SpanFile from <paramref name="section"/>.</summary>
    /// <exception cref="ArgumentException">A value can't be used; the message names it.</exception>
    public static TelemetryOptions From(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = new TelemetryOptions();
        if (section["Exporter"] is { Length: > 0 } exporter)
        {
            options.Exporter = Enum.TryParse<TelemetryExporter>(exporter, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new ArgumentException($"Telemetry:Exporter '{exporter}' is not one of {string.Join(", ", Enum.GetNames<TelemetryExporter>())}.");
        }

        if (section["SamplingRatio"] is { Length: > 0 } ratio)
        {
            options.SamplingRatio = double.TryParse(ratio, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1
                ? value
                : throw new ArgumentException($"Telemetry:SamplingRatio '{ratio}' is not a number from 0 to 1.");
        }

        options.AzureMonitorConnectionString = section["AzureMonitorConnectionString"] is { Length: > 0 } connection ? connection : null;
        if (section["OtlpEndpoint"] is { Length: > 0 } endpoint)
        {
            options.OtlpEndpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                ? uri
                : throw new ArgumentException($"Telemetry:OtlpEndpoint '{endpoint}' is not an absolute URI.");
        }

        options.SpanFile = section["SpanFile"] is { Length: > 0 } file ? file : null;
        if (options.Exporter == TelemetryExporter.AzureMonitor && options.AzureMonitorConnectionString is null)
        {
            throw new ArgumentException("Telemetry:Exporter AzureMonitor needs the Application Insights connection string (APPLICATIONINSIGHTS_CONNECTION_STRING).");
        }

        return options;
    }
}
