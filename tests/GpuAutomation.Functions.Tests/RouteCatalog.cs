using System.Text.Json.Nodes;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>The routes as each side sees them: the handler's endpoints, the function folders, the OpenAPI document.</summary>
public static class RouteCatalog
{
    public static string FunctionAppFolder => RepositoryPaths.Combine("src", "Functions", "FunctionApp");

    /// <summary>"GET /api/clusters/{cluster}/inventory" for every /api endpoint the running handler maps.</summary>
    public static SortedSet<string> HandlerApiRoutes(IServiceProvider services)
    {
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            // A group mapped at "" leaves a trailing slash in the raw text; routing matches both forms.
            var pattern = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (!pattern.StartsWith("/api/", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                routes.Add($"{method} {pattern}");
            }
        }

        return routes;
    }

    /// <summary>The same form from every httpTrigger function.json (route prefix "api").</summary>
    public static SortedSet<string> FunctionJsonApiRoutes(string appRoot)
    {
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, trigger) in Triggers(appRoot).Where(t => t.Trigger["type"]!.GetValue<string>() == "httpTrigger"))
        {
            foreach (var method in trigger["methods"]!.AsArray())
            {
                routes.Add($"{method!.GetValue<string>().ToUpperInvariant()} /api/{trigger["route"]!.GetValue<string>()}");
            }
        }

        return routes;
    }

    /// <summary>Each function folder under <paramref name="appRoot"/> and its trigger binding.</summary>
    public static IEnumerable<(string Function, JsonObject Trigger)> Triggers(string appRoot)
    {
        // The host reads function.json only from the app root's direct subfolders.
        foreach (var folder in Directory.GetDirectories(appRoot).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(folder, "function.json");
            if (!File.Exists(file))
            {
                continue;
            }

            var function = Path.GetFileName(folder);
            var document = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            var trigger = Assert.Single(document["bindings"]!.AsArray(), b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!.AsObject();
            yield return (function, trigger);
        }
    }

    public static bool IsInvocationFunction(string function) => FunctionNames.All.Contains(function);
}
