using System.Net;
using System.Text.Json.Nodes;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Tests;

/// <summary>The handler, the function folders and the OpenAPI document describe the same API.</summary>
public sealed class RouteAgreementTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync() => _app = await RunningApp.StartAsync(HostingMode.FunctionsHost);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public void Every_handler_api_route_has_an_http_function_and_every_http_function_a_handler_route()
    {
        var handler = RouteCatalog.HandlerApiRoutes(_app.Services);
        var functions = RouteCatalog.FunctionJsonApiRoutes(RouteCatalog.FunctionAppFolder);

        Assert.Equal(handler, functions);
        Assert.Contains("POST /api/partition-requests", handler);
        Assert.Contains("PUT /api/clusters/{cluster}/partition-count", handler);
    }

    [Fact]
    public async Task The_openapi_document_at_its_stable_path_lists_every_api_route_except_itself()
    {
        using var response = await _app.Client.GetAsync(new Uri(HealthApi.OpenApiPath, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, _) in operations!.AsObject())
            {
                documented.Add($"{method.ToUpperInvariant()} {path}");
            }
        }

        var handler = RouteCatalog.HandlerApiRoutes(_app.Services);
        handler.Remove("GET /api/openapi/{documentName}.json");
        // The operator portal's page and assets (src/Functions/Portal) are not API operations.
        handler.Remove("GET /api/portal/{*path}");
        Assert.Equal(handler, documented);
        Assert.NotNull(document["paths"]!["/api/partition-requests"]!["post"]!["requestBody"]);
    }
}
