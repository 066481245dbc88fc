using GpuAutomation.Functions.Api;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// Under the Functions host, refuses every /api/* request (503 problem+json, <see cref="PlatformAuthentication.DisabledCode"/>)
/// while the platform reports authentication off, and says so once at start-up. The host's own invocations (triggers,
/// readiness) are served: reports and timers keep working while an operator fixes the setting.
/// </summary>
public sealed partial class PlatformAuthenticationGate : IStartupFilter
{
    public const string ApiPathPrefix = "/api";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
        => app =>
        {
            var logger = app.ApplicationServices.GetRequiredService<ILogger<PlatformAuthenticationGate>>();
            LogApiRefused(logger, PlatformAuthentication.EnabledVariable, PlatformAuthentication.DisabledDetail);
            app.Use(static (context, nextMiddleware) => context.Request.Path.StartsWithSegments(ApiPathPrefix, StringComparison.OrdinalIgnoreCase)
                ? ApiProblems.Create(
                    StatusCodes.Status503ServiceUnavailable,
                    PlatformAuthentication.DisabledCode,
                    "Platform authentication is disabled",
                    PlatformAuthentication.DisabledDetail).ExecuteAsync(context)
                : nextMiddleware(context));
            next(app);
        };

    [LoggerMessage(EventId = 2201, Level = LogLevel.Critical, Message = "Start-up check failed: {Setting} is not 'True'. {Detail}")]
    private static partial void LogApiRefused(ILogger logger, string setting, string detail);
}
