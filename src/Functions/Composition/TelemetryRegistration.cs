using Azure.Identity;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Telemetry;
using GpuAutomation.ControlPlane.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace GpuAutomation.Functions.Composition;

/// <summary>
/// The control plane's traces and metrics: ASP.NET Core's request spans, the product's sources and the Azure SDK's
/// (one span per table call), exported to Application Insights with the app's managed identity when the Function App
/// has APPLICATIONINSIGHTS_CONNECTION_STRING (infra/modules/functionApp.bicep), or as GpuAutomation:Telemetry says.
/// </summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "gpu-automation-control-plane";

    /// <exception cref="ArgumentException">The telemetry settings can't be used; the message names the setting.</exception>
    public static bool AddControlPlaneTelemetry(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = TelemetryOptions.From(builder.Configuration.GetSection(Key(AppSettingNames.Telemetry)));
        if (builder.Configuration.GetSection(Key(AppSettingNames.Telemetry))["Exporter"] is not { Length: > 0 }
            && builder.Configuration[AppSettingNames.ApplicationInsightsConnectionString] is { Length: > 0 } insights)
        {
            options.Exporter = TelemetryExporter.AzureMonitor;
            options.AzureMonitorConnectionString = insights;
        }
        else if (options.Exporter == TelemetryExporter.AzureMonitor)
        {
            options.AzureMonitorConnectionString ??= builder.Configuration[AppSettingNames.ApplicationInsightsConnectionString];
        }

        // The app's system-assigned identity in Azure (the role assignment is in infra/modules/access.bicep).
        var registered = builder.Services.AddGpuAutomationTelemetry(
            ServiceName,
            options,
            () => new DefaultAzureCredential(),
            // Spans are named by route template; query values are redacted by the instrumentation by default and no
            // header is recorded, so the bearer token and X-MS-CLIENT-PRINCIPAL stay out.
            traces => traces.AddAspNetCoreInstrumentation());

        // The gauges exist once their classes do: create them with the meter provider, not at the first report, so an
        // instance that only serves the API or the timers exports them too. (Runs only when metrics are exported.)
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, meters) =>
        {
            _ = services.GetRequiredService<CapacityMetrics>();
            _ = services.GetRequiredService<QueueMetrics>();
        });
        return registered;
    }

    private static string Key(string appSetting) => appSetting.Replace("__", ":", StringComparison.Ordinal);
}
