using System.Net;
using Azure.Data.Tables;
using Azure.Identity;
using GpuAutomation.Functions.Configuration;

namespace GpuAutomation.Functions.Hosting;

/// <summary>Hosting mode detection, the trigger plumbing of each mode, and the host-facing endpoints.</summary>
public static class HostingRegistration
{
    /// <summary>
    /// Detects the hosting mode. Under the Functions host, listens only on 127.0.0.1 at FUNCTIONS_CUSTOMHANDLER_PORT
    /// (the host calls nothing else, and nothing else should reach the invocation endpoints). Locally, the usual
    /// ASP.NET Core URL settings apply and the app drives its own triggers.
    /// </summary>
    public static HostingMode AddFunctionsHosting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var mode = CustomHandlerEnvironment.Detect(builder.Configuration);
        if (mode == HostingMode.FunctionsHost)
        {
            var port = CustomHandlerEnvironment.ReadPort(builder.Configuration);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = InvocationEndpoints.MaxInvocationBytes);

        // The host turns each stdout line into one log entry: one line per event keeps entries whole.
        builder.Logging.AddSimpleConsole(console => console.SingleLine = true);

        var services = builder.Services;
        services.AddSingleton(new HostingModeAccessor(mode));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(RejectedMessageLogFor(builder.Configuration));
        services.AddSingleton<HostReportIntake>();
        services.AddSingleton<VmLifecycleEventIntake>();
        if (mode == HostingMode.Local)
        {
            services.AddOptions<LocalTimerOptions>().BindConfiguration(LocalTimerOptions.Section);
            services.AddHostedService<LocalReportsConsumer>();
            services.AddHostedService<LocalTimers>();
        }

        return mode;
    }

    /// <summary>
    /// Table Storage when the app has a table endpoint (identity-based in Azure, a connection string for Azurite),
    /// otherwise in memory (the Sandbox, local runs without storage).
    /// </summary>
    private static IRejectedMessageLog RejectedMessageLogFor(IConfiguration configuration)
    {
        if (configuration[AppSettingNames.TablesConnectionString.Replace("__", ":", StringComparison.Ordinal)] is { Length: > 0 } connectionString)
        {
            return new TableRejectedMessageLog(new TableClient(connectionString, TableRejectedMessageLog.DefaultTableName));
        }

        if (configuration[AppSettingNames.TablesServiceUri.Replace("__", ":", StringComparison.Ordinal)] is { Length: > 0 } serviceUri)
        {
            return new TableRejectedMessageLog(new TableClient(new Uri(serviceUri), TableRejectedMessageLog.DefaultTableName, new DefaultAzureCredential()));
        }

        return new InMemoryRejectedMessageLog();
    }

    /// <summary>Readiness at "/" (the host polls it before the first invocation) and the trigger endpoints of the mode.</summary>
    public static IEndpointRouteBuilder MapFunctionsHosting(this IEndpointRouteBuilder endpoints, HostingMode mode)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/", () => TypedResults.Text("ready")).AllowAnonymous().ExcludeFromDescription();
        if (mode == HostingMode.FunctionsHost)
        {
            endpoints.MapFunctionInvocations();
        }
        else
        {
            endpoints.MapLocalEventGridEndpoint();
        }

        return endpoints;
    }
}
