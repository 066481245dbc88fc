using System.Net;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>The development identity exists only when a local run asks for it.</summary>
public sealed class DevelopmentIdentityTests
{
    private const string Setting = "GpuAutomation:Security:DevelopmentIdentity";

    [Fact]
    public async Task A_local_run_that_asks_for_it_acts_as_an_operator_without_a_principal()
    {
        await using var app = await RunningApp.StartAsync(HostingMode.Local, settings: new Dictionary<string, string> { [Setting] = "true" });
        await app.Services.GetRequiredService<InventoryStore>().ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1"), default);

        using var response = await app.Client.PostAsync(new Uri("/api/clusters/cl1/compliance/scan", UriKind.Relative), null);

        // The scan is an Operator action: it ran, and its report was stored.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await app.Services.GetRequiredService<ComplianceReportStore>().ListAsync(ControlPlaneFixture.Cluster, 10, null, default)).Reports);
    }

    [Fact]
    public async Task A_local_run_without_the_setting_requires_a_principal()
    {
        await using var app = await RunningApp.StartAsync(HostingMode.Local);
        await app.Services.GetRequiredService<InventoryStore>().ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1"), default);

        using var response = await app.Client.PostAsync(new Uri("/api/clusters/cl1/compliance/scan", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty((await app.Services.GetRequiredService<ComplianceReportStore>().ListAsync(ControlPlaneFixture.Cluster, 10, null, default)).Reports);
    }

    [Fact]
    public async Task The_functions_host_refuses_to_start_with_the_development_identity()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RunningApp.StartAsync(HostingMode.FunctionsHost, settings: new Dictionary<string, string> { [Setting] = "true" }));

        Assert.Contains("DevelopmentIdentity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_table_endpoint_or_a_bus_the_app_runs_on_in_memory_stores()
    {
        await using var app = await RunningApp.StartAsync(HostingMode.Local, settings: new Dictionary<string, string> { [Setting] = "true" });

        using var clusters = await app.Client.GetAsync(new Uri("/api/clusters", UriKind.Relative));
        using var unknown = await app.Client.GetAsync(new Uri("/api/clusters/cl1/inventory", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, clusters.StatusCode);
        Assert.Equal("""{"clusters":[]}""", await clusters.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.IsType<GpuAutomation.Messaging.InMemory.InMemoryMessageBus>(app.Services.GetRequiredService<GpuAutomation.Messaging.IMessageBus>());
    }
}
