using GpuAutomation.ControlPlane.Rejections;
using System.Net;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        services.TryAddSingleton(new HostingModeAccessor(mode));
        services.TryAddSingleton<HostReportIntake>();
        services.TryAddSingleton<VmLifecycleEventIntake>();
        services.TryAddSingleton<ScheduledWork>();
        if (mode == HostingMode.Local)
        {
            services.AddOptions<LocalTimerOptions>().BindConfiguration(LocalTimerOptions.Section);
            services.AddHostedService<LocalReportsConsumer>();
            services.AddHostedService<LocalTimers>();
        }

        return mode;
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
