using System.Net;
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
        var core = new RecordingApiServices();
        await using var app = await RunningApp.StartAsync(
            HostingMode.Local,
            services => services.AddSingleton<IComplianceReports>(core),
            new Dictionary<string, string> { [Setting] = "true" });

        using var response = await app.Client.PostAsync(new Uri("/api/clusters/cl1/compliance/scan", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(["Scan cl1"], core.Calls);
    }

    [Fact]
    public async Task A_local_run_without_the_setting_requires_a_principal()
    {
        var core = new RecordingApiServices();
        await using var app = await RunningApp.StartAsync(HostingMode.Local, services => services.AddSingleton<IComplianceReports>(core));

        using var response = await app.Client.PostAsync(new Uri("/api/clusters/cl1/compliance/scan", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(core.Calls);
    }

    [Fact]
    public async Task The_functions_host_refuses_to_start_with_the_development_identity()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => RunningApp.StartAsync(HostingMode.FunctionsHost, settings: new Dictionary<string, string> { [Setting] = "true" }));

        Assert.Contains("DevelopmentIdentity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_core_service_an_endpoint_answers_503_not_configured_and_changes_nothing()
    {
        await using var app = await RunningApp.StartAsync(HostingMode.Local, settings: new Dictionary<string, string> { [Setting] = "true" });

        using var response = await app.Client.GetAsync(new Uri("/api/clusters", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains(ApiErrorCodes.NotConfigured, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
