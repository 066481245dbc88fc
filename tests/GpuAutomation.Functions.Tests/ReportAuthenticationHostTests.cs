using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Issue 16, item 1 through the app: the HostReports invocation takes the node's token from the message's application
/// properties (as the Service Bus trigger passes them) and the core validates it; development trust only ever runs on a
/// development machine, and says so at start.
/// </summary>
public sealed class ReportAuthenticationHostTests
{
    private static async Task<JsonNode> InvokeAsync(ControlPlaneFixture cp, Message message, string? token)
    {
        using var response = await cp.App.Client.PostAsync(
            new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
            new StringContent(Payloads.ServiceBusBinary(MessageCodec.Encode(message), message.Envelope.MessageId, senderToken: token), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["ReturnValue"]!;
    }

    [Fact]
    public async Task A_report_through_the_host_counts_only_with_its_nodes_token_and_refusals_are_recorded()
    {
        await using var cp = await ControlPlaneFixture.StartAsync();
        var snapshot = Message.Create(new InventorySnapshot(ControlPlaneFixture.Node("node1")), "snap-auth-1", ControlPlaneFixture.Cluster, "node1", DateTimeOffset.UtcNow);

        var missing = await InvokeAsync(cp, snapshot, null);
        var node2 = await InvokeAsync(cp, snapshot, cp.TokenOf("node2"));
        var (before, _, _) = await cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/inventory");
        var genuine = await InvokeAsync(cp, snapshot, cp.TokenOf("node1"));
        var (after, _, _) = await cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/inventory");
        var (_, rejected, _) = await cp.SendAsync(HttpMethod.Get, "/api/rejected-messages?limit=10");

        Assert.Equal(InvocationOutcome.Rejected, missing["Status"]!.GetValue<string>());
        Assert.Equal(ReportRefusalCodes.UnauthenticatedReport, missing["Code"]!.GetValue<string>());
        Assert.Equal(InvocationOutcome.Rejected, node2["Status"]!.GetValue<string>());
        Assert.Equal(ReportRefusalCodes.SenderMismatch, node2["Code"]!.GetValue<string>());
        Assert.Equal(404, before);
        Assert.Equal(InvocationOutcome.Processed, genuine["Status"]!.GetValue<string>());
        Assert.Equal(200, after);
        var codes = rejected!["messages"]!.AsArray().Select(m => m!["code"]!.GetValue<string>()).ToList();
        Assert.Contains(ReportRefusalCodes.UnauthenticatedReport, codes);
        Assert.Contains(ReportRefusalCodes.SenderMismatch, codes);
    }

    [Fact]
    public async Task Development_trust_on_loopback_starts_with_a_warning()
    {
        var logs = new CapturedLogs();
        await using var app = await RunningApp.StartAsync(HostingMode.Local, services => services.AddSingleton<ILoggerProvider>(logs));

        Assert.Contains(logs.Entries, e => e.EventId.Id == 3311 && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Development_trust_refuses_to_start_on_an_address_other_machines_can_reach()
    {
        var address = $"http://0.0.0.0:{RunningApp.FreePort()}";
        var app = Program.CreateApp([$"--urls={address}", $"--{DevelopmentReportTrustGuard.SettingName}=true"]);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

            Assert.Contains(DevelopmentReportTrustGuard.SettingName, error.Message, StringComparison.Ordinal);
            Assert.Contains(address, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Development_trust_refuses_to_start_on_app_service_even_behind_the_hosts_loopback()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string> { [DevelopmentReportTrustGuard.SettingName] = "true", ["WEBSITE_INSTANCE_ID"] = "a1b2c3" }));

        Assert.Contains("WEBSITE_INSTANCE_ID", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_authentication_settings_the_app_refuses_to_start()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string> { ["GpuAutomation:ReportAuthentication:Audience"] = "api://gpu-automation-test" }));

        Assert.Contains("GpuAutomation:ReportAuthentication:TenantId", error.Message, StringComparison.Ordinal);
    }
}
