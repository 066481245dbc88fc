using System.Reflection;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Api;

public static class HealthApi
{
    public const string OpenApiPath = "/api/openapi/v1.json";

    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary><c>GET /api/health</c>: anonymous, answers whenever the handler serves requests.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/health", (HostingModeAccessor mode) => TypedResults.Ok(new HealthReport("ok", mode.Mode.ToString(), Version)))
            .AllowAnonymous()
            .WithTags("Health")
            .WithName("GetHealth");
        return endpoints;
    }
}
