using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GpuAutomation.Telemetry;

/// <summary>
/// The one place a host wires the OpenTelemetry SDK: the product's sources and meters (GpuAutomation.*), the Azure
/// SDK's own spans (table calls, Service Bus), sampling, and the configured exporter. Without an exporter or span
/// file nothing is registered at all, so tests and the Sandbox pay nothing and send nothing.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Every ActivitySource and Meter of the product: GpuAutomation.ControlPlane, .Messaging, .HostRunner.</summary>
    public const string ProductSources = "GpuAutomation.*";

    /// <summary>
    /// The Azure SDK's ActivitySources (e.g. Azure.Data.Tables.TableClient: one span per table call). They only emit
    /// when the experimental switch is on (azure-sdk-for-net sdk/core/Azure.Core/samples/Diagnostics.md, "ActivitySource
    /// support"; Azure.Core ActivityExtensions reads Azure.Experimental.EnableActivitySource): listening to "Azure.*"
    /// alone is not enough, so <see cref="AddGpuAutomationTelemetry"/> sets it.
    /// </summary>
    public const string AzureSdkSources = "Azure.*";

    /// <returns>Whether telemetry was registered (false: nothing configured).</returns>
    /// <param name="credential">The managed identity the Azure Monitor exporter authenticates with (local auth is off in infra/).</param>
    /// <param name="tracing">Host-specific instrumentation, e.g. ASP.NET Core's.</param>
    public static bool AddGpuAutomationTelemetry(
        this IServiceCollection services,
        string serviceName,
        TelemetryOptions options,
        Func<TokenCredential>? credential = null,
        Action<TracerProviderBuilder>? tracing = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.IsEnabled)
        {
            return false;
        }

        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(traces =>
            {
                traces.AddSource(ProductSources, AzureSdkSources).SetSampler(Sampler(options.SamplingRatio));
                tracing?.Invoke(traces);
                if (options.SpanFile is { } file)
                {
                    // Written as each span ends (no batching), so a test sees a span as soon as its process finished it.
                    traces.AddProcessor(new SimpleActivityExportProcessor(new SpanFileExporter(file)));
                }

                switch (options.Exporter)
                {
                    case TelemetryExporter.AzureMonitor:
                        traces.AddAzureMonitorTraceExporter(o => AzureMonitor(o, options, credential));
                        break;
                    case TelemetryExporter.Otlp:
                        traces.AddOtlpExporter(o => Otlp(o, options));
                        break;
                    case TelemetryExporter.Console:
                        traces.AddConsoleExporter();
                        break;
                }
            });

        // The console shows spans only (Sandbox --verbose): a metrics dump every few seconds would bury them.
        if (options.Exporter is TelemetryExporter.AzureMonitor or TelemetryExporter.Otlp)
        {
            builder.WithMetrics(metrics =>
            {
                metrics.AddMeter(ProductSources);
                switch (options.Exporter)
                {
                    case TelemetryExporter.AzureMonitor:
                        metrics.AddAzureMonitorMetricExporter(o => AzureMonitor(o, options, credential));
                        break;
                    case TelemetryExporter.Otlp:
                        metrics.AddOtlpExporter(o => Otlp(o, options));
                        break;
                }
            });
        }

        return true;
    }

    /// <summary>
    /// Parent-based, except that a remote parent marked not sampled doesn't silence this process: the ratio decides
    /// then, on the trace id. Our own processes decide with the same deterministic ratio sampler, so with equal ratios a
    /// consumer drops exactly the traces its publisher dropped and a trace stays whole. A caller outside the product
    /// can't mute it: whether the Functions host forwards a traceparent to the custom handler, and with which sampled
    /// flag, no public source settles (README, Telemetry), and an unsampled one would otherwise drop every API span.
    /// </summary>
    public static Sampler Sampler(double ratio)
    {
        var byRatio = new TraceIdRatioBasedSampler(ratio);
        return new ParentBasedSampler(byRatio, remoteParentSampled: null, remoteParentNotSampled: byRatio);
    }

    private static void AzureMonitor(AzureMonitorExporterOptions exporter, TelemetryOptions options, Func<TokenCredential>? credential)
    {
        exporter.ConnectionString = options.AzureMonitorConnectionString;
        // Entra ID authentication: infra/ disables key-based ingestion (DisableLocalAuth) and grants the identity
        // Monitoring Metrics Publisher on the Application Insights resource.
        exporter.Credential = credential?.Invoke();
    }

    private static void Otlp(OpenTelemetry.Exporter.OtlpExporterOptions exporter, TelemetryOptions options)
    {
        if (options.OtlpEndpoint is { } endpoint)
        {
            exporter.Endpoint = endpoint;
        }
    }
}
