namespace GpuAutomation.Telemetry;

/// <summary>Where a host sends its spans and metrics.</summary>
public enum TelemetryExporter
{
    /// <summary>Nothing is exported (the default: tests, the Sandbox, a host without configuration).</summary>
    None,

    /// <summary>Application Insights through the Azure Monitor exporter, authenticated with a managed identity.</summary>
    AzureMonitor,

    /// <summary>Any OTLP endpoint (an OpenTelemetry Collector, Aspire dashboard, Jaeger …).</summary>
    Otlp,

    /// <summary>Spans printed to the console (Sandbox --verbose); no metrics.</summary>
    Console,
}
