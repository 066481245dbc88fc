using GpuAutomation.Functions.Api;

namespace GpuAutomation.Infra.Tests;

/// <summary>
/// The handler's routes that need no caller, which src/Functions/README.md calls anonymous: App Service Authentication
/// must exclude exactly these (besides the Event Grid webhook), or the README would promise what the platform refuses.
/// </summary>
public static class AnonymousApiRoutes
{
    public static readonly string[] Paths = ["/api/health", HealthApi.OpenApiPath];
}
