using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Each trigger kind, posted as the Functions host posts it (or, locally, taken from the bus), reaching the real
/// core: Service Bus reports, Event Grid VM writes, both timers; and the local reports consumer over the bus.
/// </summary>
public sealed class ControlPlaneTriggerTests
{
    private const string GpuVmPolicy = """{"rules":[{"name":"gpu-vms","namePattern":"vm-gpu-*"}]}""";
    private static readonly Guid GpuVmId = Guid.Parse("6d1c2a3e-8a47-4e0e-9d55-0c1f4b1a2b3c");
    private static readonly string Node1Queue = QueueNames.Commands(ControlPlaneFixture.Cluster, "node1");

    [Fact]
    public async Task A_vm_write_event_for_a_vm_no_host_reported_yet_fails_so_event_grid_retries_then_provisions_it()
    {
        await using var cp = await ControlPlaneFixture.StartAsync();
        await cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", GpuVmPolicy);
        await cp.SeedAsync(ControlPlaneFixture.Node("node1"));
        var invocation = Payloads.EventGridInvocation(Payloads.VmInstanceWriteEvent(), asDoubleEncodedString: true);

        var (earlyStatus, early) = await InvokeAsync(cp, FunctionNames.VmLifecycleEvents, invocation);
        await cp.SeedAsync(WithGpuVm(ControlPlaneFixture.Node("node1")));
        var (status, body) = await InvokeAsync(cp, FunctionNames.VmLifecycleEvents, invocation);
        var (againStatus, _) = await InvokeAsync(cp, FunctionNames.VmLifecycleEvents, invocation);

        Assert.True(earlyStatus >= 500, early.ToJsonString());
        Assert.Contains("vm-gpu-01", early["ReturnValue"]!["Detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(200, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(200, againStatus);
        var assign = Assert.IsType<AssignPartition>(Assert.Single(await cp.CommandsAsync(Node1Queue, atLeast: 1)).Body);
        Assert.Equal("vm-gpu-01", assign.VmName);
        var (_, list, _) = await cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&vm=vm-gpu-01");
        Assert.Equal("EventGrid", Assert.Single(list!["requests"]!.AsArray())!["origin"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_vm_created_event_from_a_host_provisions_the_vm_its_policy_selects()
    {
        await using var cp = await ControlPlaneFixture.StartAsync();
        await cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", GpuVmPolicy);
        await cp.SeedAsync(WithGpuVm(ControlPlaneFixture.Node("node1")));

        await cp.ReportAsync(new ClusterEvent(ClusterEventKind.VmCreated, "node1", DateTimeOffset.UtcNow, VmName: "vm-gpu-01", VmId: GpuVmId), "node1");

        var assign = Assert.IsType<AssignPartition>(Assert.Single(await cp.CommandsAsync(Node1Queue, atLeast: 1)).Body);
        Assert.Equal(GpuVmId, assign.VmId);
    }

    [Fact]
    public async Task The_compliance_timer_scans_every_reported_cluster_and_the_outbox_timer_runs()
    {
        await using var cp = await ControlPlaneFixture.StartAsync();
        await cp.SeedAsync(ControlPlaneFixture.Node("node1"));

        var (scanStatus, scan) = await InvokeAsync(cp, FunctionNames.ComplianceScan, Payloads.Timer(isPastDue: false, last: null));
        var (sweepStatus, sweep) = await InvokeAsync(cp, FunctionNames.OutboxSweep, Payloads.Timer(isPastDue: false, last: null));
        var (_, compliance, _) = await cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/compliance");

        Assert.Equal(200, scanStatus);
        Assert.Equal(InvocationOutcome.Processed, scan["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(200, sweepStatus);
        Assert.Equal(InvocationOutcome.Processed, sweep["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.True(compliance!["latest"]!["compliant"]!.GetValue<bool>(), compliance.ToJsonString());
    }

    [Fact]
    public async Task Locally_the_app_consumes_reports_from_the_bus_and_its_commands_go_back_on_it()
    {
        await using var cp = await ControlPlaneFixture.StartAsync(HostingMode.Local);
        var snapshot = Message.Create(new InventorySnapshot(ControlPlaneFixture.Node("node1")), "snap-1", ControlPlaneFixture.Cluster, "node1", DateTimeOffset.UtcNow);

        await cp.Bus.PublishAsync(QueueNames.Reports, cp.Signed(snapshot));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        int status;
        do
        {
            await Task.Delay(50);
            (status, _, _) = await cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/inventory");
        }
        while (status != 200 && DateTime.UtcNow < deadline);
        var (submitted, request, _) = await cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-two","action":"assign"}""");
        var command = Assert.Single(await cp.CommandsAsync(Node1Queue, atLeast: 1));
        var now = DateTimeOffset.UtcNow;
        var result = Message.Create(
            new CommandResult(command.Envelope.MessageId, command.Envelope.MessageType, CommandOutcome.Failed, [], new CommandError("vm-not-found", "VM vm-two is gone"), null, now, now),
            "result-1",
            ControlPlaneFixture.Cluster,
            "node1",
            now,
            request!["id"]!.GetValue<string>());
        await cp.Bus.PublishAsync(QueueNames.Reports, cp.Signed(result));
        JsonNode? current;
        do
        {
            await Task.Delay(50);
            (_, current, _) = await cp.SendAsync(HttpMethod.Get, $"/api/partition-requests/{request["id"]!.GetValue<string>()}");
        }
        while (current!["status"]!.GetValue<string>() != "Failed" && DateTime.UtcNow < deadline);

        Assert.Equal(200, status);
        Assert.Equal(202, submitted);
        Assert.Equal("Failed", current["status"]!.GetValue<string>());
        Assert.Equal("vm-not-found", current["error"]!["code"]!.GetValue<string>());
        Assert.Equal(0, cp.Bus.CountReady(QueueNames.Reports));
    }

    private static Contracts.Reports.NodeInventory WithGpuVm(Contracts.Reports.NodeInventory node)
        => node with { Vms = [.. node.Vms, node.Vms[1] with { Name = "vm-gpu-01", Id = GpuVmId }] };

    private static async Task<(int Status, JsonNode Body)> InvokeAsync(ControlPlaneFixture cp, string function, string payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/" + function, UriKind.Relative))
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        using var response = await cp.App.Client.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }
}
