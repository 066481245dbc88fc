using System.Net;
using GpuAutomation.Functions.Api;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Sandbox.Scenario;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// The product across real processes: the control plane (local trigger mode) on Azurite and RabbitMQ, and two
/// HostRunner processes in --simulate mode as one cluster, driven through the REST API and the local Event Grid
/// endpoint. What the emulated hosts did is read back from the inventory they report.
/// </summary>
[Collection(SharedBrokerCollection.Name)]
public sealed class ClusterLifecycleTests(ControlPlaneProcess controlPlane) : IClassFixture<ControlPlaneProcess>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private ControlPlaneClient Api => controlPlane.Api;

    [Fact]
    public async Task Assign_through_the_API_succeeds_with_the_VM_running_one_partition_and_forced_shutdown()
    {
        var vm = $"web-{controlPlane.RunId}";
        await using var hosts = SimulatedHosts.Start(Description("a", 0, node1Vms: $$"""{ "name": "{{vm}}", "state": "Running", "offlineAction": "Save" }"""));
        await WaitForNodesAsync(hosts);

        var request = await SubmitAsync(hosts, vm, "assign");
        var done = await WaitForTerminalAsync(hosts, request.Id);

        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");
        var seen = await WaitForVmAsync(hosts, vm, v => v.Partitions == 1);
        Assert.Equal(VmPowerState.Running, seen.PowerState);
        Assert.Equal(OfflineAction.ForceShutdown, seen.OfflineAction);
        Assert.Equal("node1", seen.Node);
        var inventory = (await Api.GetInventoryAsync(hosts.Cluster, CancellationToken.None))!;
        Assert.Equal(1, inventory.Gpus.Sum(g => g.AssignedPartitions));
    }

    [Fact]
    public async Task A_VM_created_event_from_Event_Grid_provisions_the_VM_once()
    {
        var vm = $"eg-{controlPlane.RunId}";
        await using var hosts = SimulatedHosts.Start(Description("b", 0, node2Vms: $$"""{ "name": "{{vm}}", "state": "Off", "offlineAction": "Save" }"""));
        await WaitForNodesAsync(hosts);
        var policy = await Api.PutAsync(
            $"api/clusters/{hosts.Cluster}/policy",
            """{ "rules": [ { "name": "event-grid-vms", "namePattern": "eg-*", "startAfter": true } ] }""",
            CancellationToken.None);
        Assert.True(policy.IsSuccess, policy.Describe());

        var delivery = EventGridDelivery(vm, eventId: Guid.NewGuid().ToString());
        var answer = await Api.PostAsync("local/eventgrid", delivery, CancellationToken.None);
        Assert.True(answer.IsSuccess, answer.Describe());

        var request = await Eventually.WaitAsync(
            async () => (await Api.ListRequestsAsync(hosts.Cluster, vm, CancellationToken.None)).FirstOrDefault(r => r.IsTerminal),
            Wait,
            () => $"a finished request for {vm}{Environment.NewLine}{Describe(hosts)}");
        Assert.True(request.Is("Succeeded"), $"{request}{Environment.NewLine}{Describe(hosts)}");
        Assert.Equal("EventGrid", request.Origin, ignoreCase: true);
        var seen = await WaitForVmAsync(hosts, vm, v => v.Partitions == 1 && v.PowerState == VmPowerState.Running);
        Assert.Equal(OfflineAction.ForceShutdown, seen.OfflineAction);

        // Event Grid redelivers at least once: the same event again creates nothing new.
        var again = await Api.PostAsync("local/eventgrid", delivery, CancellationToken.None);
        Assert.True(again.IsSuccess, again.Describe());
        Assert.Single(await Api.ListRequestsAsync(hosts.Cluster, vm, CancellationToken.None));
    }

    [Fact]
    public async Task Drift_found_by_a_compliance_scan_is_remediated_and_the_partition_then_unassigned()
    {
        // The drift is in the simulated world from the start: a GPU-P VM whose OfflineAction someone left at Save.
        var vm = $"drift-{controlPlane.RunId}";
        await using var hosts = SimulatedHosts.Start(Description("c", 0, node1Vms: $$"""{ "name": "{{vm}}", "state": "Running", "offlineAction": "Save", "hasPartition": true }"""));
        await WaitForNodesAsync(hosts);
        await WaitForVmAsync(hosts, vm, v => v.Partitions == 1 && v.OfflineAction == OfflineAction.Save);

        var scan = await Api.PostAsync($"api/clusters/{hosts.Cluster}/compliance/scan", null, CancellationToken.None);
        Assert.True(scan.IsSuccess, scan.Describe());
        var finding = ApiBodies.Read(scan.Body, ApiJsonContext.Default.ComplianceReportView).Findings.FirstOrDefault(f =>
            f.Rule == "offline-action-not-forced-shutdown" && f.Resource.Contains(vm, StringComparison.OrdinalIgnoreCase));
        Assert.True(finding is not null, scan.Describe());
        var remediation = finding.RemediationRequestId;
        Assert.True(remediation is not null, finding.ToString());

        var fixedRequest = await WaitForTerminalAsync(hosts, remediation);
        Assert.True(fixedRequest.Is("Succeeded"), $"{fixedRequest}{Environment.NewLine}{Describe(hosts)}");
        var fixedVm = await WaitForVmAsync(hosts, vm, v => v.OfflineAction == OfflineAction.ForceShutdown);
        Assert.Equal(1, fixedVm.Partitions);
        Assert.Equal(VmPowerState.Running, fixedVm.PowerState);

        var unassign = await WaitForTerminalAsync(hosts, (await SubmitAsync(hosts, vm, "unassign")).Id);
        Assert.True(unassign.Is("Succeeded"), $"{unassign}{Environment.NewLine}{Describe(hosts)}");
        var after = await WaitForVmAsync(hosts, vm, v => v.Partitions == 0);
        Assert.Equal(VmPowerState.Running, after.PowerState);
    }

    [Fact]
    public async Task A_host_runner_killed_mid_command_resumes_after_restart_and_the_request_succeeds()
    {
        // Slow jobs and guest shutdowns leave a window in which the command is surely in progress.
        var vm = $"crash-{controlPlane.RunId}";
        await using var hosts = SimulatedHosts.Start(Description("d", 3000, node1Vms: $$"""{ "name": "{{vm}}", "state": "Running", "offlineAction": "Save" }"""));
        await WaitForNodesAsync(hosts);

        var request = await SubmitAsync(hosts, vm, "assign");
        await KillMidCommandAndRestartAsync(hosts, "node1", request.Id, request.Id);

        var done = await WaitForTerminalAsync(hosts, request.Id);
        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");
        // OfflineAction isn't checked here: a restarted --simulate process reloads its world from the description
        // file, so a setting the first process made is gone, while the journal rightly remembers that step as done.
        // A real host keeps the setting across an agent crash.
        var seen = await WaitForVmAsync(hosts, vm, v => v.Partitions == 1);
        Assert.Equal(VmPowerState.Running, seen.PowerState);
    }

    [Fact]
    public async Task A_rolling_change_from_2_to_4_partitions_with_running_gpu_vms_completes_across_an_agent_crash()
    {
        // Three running GPU VMs on 2 + 2 partitions per node; node1's agent is killed while the rollout works on node1.
        var (a, b, c) = ($"ra-{controlPlane.RunId}", $"rb-{controlPlane.RunId}", $"rc-{controlPlane.RunId}");
        await using var hosts = SimulatedHosts.Start(Description(
            "e",
            1500,
            node1Vms: $$"""{ "name": "{{a}}", "state": "Running", "offlineAction": "ForceShutdown", "hasPartition": true }, { "name": "{{b}}", "state": "Running", "offlineAction": "ForceShutdown", "hasPartition": true }""",
            node2Vms: $$"""{ "name": "{{c}}", "state": "Running", "offlineAction": "ForceShutdown", "hasPartition": true }""",
            partitionCount: 2));
        await WaitForNodesAsync(hosts);
        await WaitForVmAsync(hosts, c, v => v.Partitions == 1);

        var planned = await Api.PostAsync($"api/clusters/{hosts.Cluster}/partition-count/plans", """{ "partitionCount": 4 }""", CancellationToken.None);
        Assert.True(planned.Status == HttpStatusCode.Created, planned.Describe());
        var plan = ApiBodies.Read(planned.Body, ApiJsonContext.Default.RolloutPlanView);
        Assert.Equal(["node2", "node1"], plan.Stages.Select(s => s.Nodes.Single()));
        var applied = await Api.PostAsync($"api/clusters/{hosts.Cluster}/partition-count/plans/{plan.Id}/apply", null, CancellationToken.None);
        Assert.True(applied.Status == HttpStatusCode.Accepted, applied.Describe());

        // Stage 2 is node1's: once one of its requests runs, the agent dies mid-command and comes back.
        await Eventually.WaitAsync(
            async () =>
            {
                var run = (await ReadPlanAsync(hosts, plan.Id)).Run!;
                foreach (var id in run.CurrentRequests)
                {
                    if (await Api.GetRequestAsync(id, CancellationToken.None) is { Node: "node1" } r && r.Is("Running"))
                    {
                        return r;
                    }
                }

                return null;
            },
            Wait,
            () => $"a request of the rollout running on node1{Environment.NewLine}{Describe(hosts)}");
        await hosts.KillAsync("node1");
        await Task.Delay(TimeSpan.FromSeconds(1));
        hosts.StartNode("node1");

        var done = await Eventually.WaitAsync(
            async () => (await ReadPlanAsync(hosts, plan.Id)).Run is { Status: not "running" } run ? run : null,
            TimeSpan.FromMinutes(3),
            () => $"the rollout to end{Environment.NewLine}{Describe(hosts)}");
        Assert.True(done.Status == "succeeded", $"{done.Status}: {done.Note?.Message}{Environment.NewLine}{Describe(hosts)}");
        var inventory = await Eventually.WaitAsync(
            async () => await Api.GetInventoryAsync(hosts.Cluster, CancellationToken.None) is { } view && view.Gpus.All(g => g.PartitionCount == 4) ? view : null,
            Wait,
            () => $"every GPU at 4{Environment.NewLine}{Describe(hosts)}");
        foreach (var vm in new[] { a, b, c })
        {
            var seen = await WaitForVmAsync(hosts, vm, v => v.Partitions == 1 && v.PowerState == VmPowerState.Running);
            Assert.Equal(OfflineAction.ForceShutdown, seen.OfflineAction);
        }

        Assert.Equal(3, inventory.Gpus.Sum(g => g.AssignedPartitions));
    }

    [Fact]
    public async Task A_vm_on_a_full_node_moves_to_the_other_node_and_gets_its_partition_across_an_agent_crash_mid_move()
    {
        // node1's 2 + 2 partitions are all held; the running VM asking for one moves to node2 (moves: when-off: shut
        // down, moved, assigned, started). node1's agent dies while the move runs and resumes it from its journal.
        var vm = $"mv-{controlPlane.RunId}";
        var holders = string.Join(", ", Enumerable.Range(0, 4).Select(i => $$"""{ "name": "h{{i}}-{{controlPlane.RunId}}", "state": "Off", "offlineAction": "ForceShutdown", "hasPartition": true }"""));
        await using var hosts = SimulatedHosts.Start(Description(
            "m",
            1500,
            node1Vms: $$"""{{holders}}, { "name": "{{vm}}", "state": "Running", "offlineAction": "Save" }""",
            partitionCount: 2));
        await WaitForNodesAsync(hosts);
        await WaitForVmAsync(hosts, vm, v => v.Node == "node1");
        var put = await Api.PutAsync($"api/clusters/{hosts.Cluster}/policy", """{ "rules": [], "moves": "when-off", "strategy": "spread" }""", CancellationToken.None);
        Assert.True(put.IsSuccess, put.Describe());

        var request = await SubmitAsync(hosts, vm, "assign");
        var placement = request.View.Placement;
        Assert.True(placement is { From: "node1", To: "node2", Mode: "quick" }, $"{request} placement {placement}");
        await KillMidCommandAndRestartAsync(hosts, "node1", placement!.MoveRequestId, request.Id);

        var done = await WaitForTerminalAsync(hosts, request.Id);
        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");
        Assert.True((await Api.GetRequestAsync(placement!.MoveRequestId, CancellationToken.None))!.Is("Succeeded"));
        Assert.NotNull(done.View.Placement?.Moved);
        var seen = await WaitForVmAsync(hosts, vm, v => v.Node == "node2" && v.Partitions == 1);
        Assert.Equal(VmPowerState.Running, seen.PowerState);
    }

    [Fact]
    public async Task A_queued_request_is_fulfilled_when_another_vm_is_unassigned()
    {
        // Both nodes' 2 + 2 partitions are held, and moves are off (the default): the assign asking to wait is Queued.
        // Unassigning a holder on node1 frees one; the backfill that follows its result admits the queued request.
        var vm = $"q-{controlPlane.RunId}";
        var holder = $"h0-{controlPlane.RunId}";
        await using var hosts = await FullClusterAsync("q", "h", vm);

        var queued = await SubmitQueuedAsync(hosts, vm);
        Assert.True(queued.Is("Queued") && queued.View.QueuePosition == 1, $"{queued} (position {queued.View.QueuePosition})");

        var unassign = await SubmitAsync(hosts, holder, "unassign");
        Assert.True((await WaitForTerminalAsync(hosts, unassign.Id)).Is("Succeeded"));

        var done = await WaitForTerminalAsync(hosts, queued.Id);
        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");
        var seen = await WaitForVmAsync(hosts, vm, v => v.Partitions == 1);
        Assert.Equal("node1", seen.Node);
        await WaitForVmAsync(hosts, holder, v => v.Partitions == 0);
    }

    [Fact]
    public async Task A_queued_request_is_placed_on_the_node_where_a_partition_frees()
    {
        // Both nodes full, moves allowed while off: the queued assign for a VM on node1 waits until a holder on node2
        // is unassigned; the backfill that follows places it there (claim, tentative assign, move, assign).
        var vm = $"qp-{controlPlane.RunId}";
        var holder = $"p4-{controlPlane.RunId}";
        await using var hosts = await FullClusterAsync("p", "p", vm);
        var put = await Api.PutAsync($"api/clusters/{hosts.Cluster}/policy", """{ "rules": [], "moves": "when-off" }""", CancellationToken.None);
        Assert.True(put.IsSuccess, put.Describe());

        var queued = await SubmitQueuedAsync(hosts, vm);
        Assert.True(queued.Is("Queued"), queued.ToString());

        var unassign = await SubmitAsync(hosts, holder, "unassign");
        Assert.True((await WaitForTerminalAsync(hosts, unassign.Id)).Is("Succeeded"));

        var done = await WaitForTerminalAsync(hosts, queued.Id);
        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");
        Assert.True(done.View.Placement is { From: "node1", To: "node2" }, $"{done} placement {done.View.Placement}");
        Assert.True((await Api.GetRequestAsync(done.View.Placement!.MoveRequestId, CancellationToken.None))!.Is("Succeeded"));
        var seen = await WaitForVmAsync(hosts, vm, v => v.Node == "node2" && v.Partitions == 1);
        Assert.Equal(OfflineAction.ForceShutdown, seen.OfflineAction);
    }

    /// <summary>
    /// Two nodes of 2 + 2 partitions, every one held by an off VM ("{holderPrefix}0..3" on node1, "4..7" on node2),
    /// and <paramref name="vm"/>, off and without a partition, on node1.
    /// </summary>
    private async Task<SimulatedHosts> FullClusterAsync(string suffix, string holderPrefix, string vm)
    {
        string Holders(int from) => string.Join(", ", Enumerable.Range(from, 4).Select(i => $$"""{ "name": "{{holderPrefix}}{{i}}-{{controlPlane.RunId}}", "state": "Off", "offlineAction": "ForceShutdown", "hasPartition": true }"""));
        var hosts = SimulatedHosts.Start(Description(
            suffix,
            0,
            node1Vms: $$"""{{Holders(0)}}, { "name": "{{vm}}", "state": "Off", "offlineAction": "ForceShutdown" }""",
            node2Vms: Holders(4),
            partitionCount: 2));
        try
        {
            await WaitForNodesAsync(hosts);
            await WaitForVmAsync(hosts, vm, v => v.Node == "node1");
            return hosts;
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }
    }

    /// <summary>An assign for <paramref name="vm"/> that asks to wait for capacity (30 minutes, priority 1).</summary>
    private async Task<RequestView> SubmitQueuedAsync(SimulatedHosts hosts, string vm)
    {
        var answer = await Api.PostAsync(
            "api/partition-requests",
            $$"""{ "cluster": "{{hosts.Cluster}}", "vm": "{{vm}}", "action": "assign", "queue": { "maxWaitMinutes": 30, "priority": 1 } }""",
            CancellationToken.None);
        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.Describe());
        return Assert.Single(RequestView.All(answer.Body!));
    }

    /// <summary>
    /// Waits until <paramref name="runningId"/> runs on <paramref name="node"/>, kills that node's agent (SIGKILL) and
    /// starts it again a second later; <paramref name="openId"/> must not have ended meanwhile.
    /// </summary>
    private async Task KillMidCommandAndRestartAsync(SimulatedHosts hosts, string node, string runningId, string openId)
    {
        var running = await Eventually.WaitAsync(
            async () => await Api.GetRequestAsync(runningId, CancellationToken.None) is { } r && (r.Is("Running") || r.IsTerminal) ? r : null,
            Wait,
            () => $"request {runningId} to run{Environment.NewLine}{Describe(hosts)}");
        Assert.True(running.Is("Running"), $"the command finished before the kill: {running}");

        await hosts.KillAsync(node);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False((await Api.GetRequestAsync(openId, CancellationToken.None))!.IsTerminal);
        hosts.StartNode(node);
    }

    private async Task<RolloutPlanView> ReadPlanAsync(SimulatedHosts hosts, string planId)
        => ApiBodies.Read((await Api.GetAsync($"api/clusters/{hosts.Cluster}/partition-count/plans/{planId}", CancellationToken.None)).Body, ApiJsonContext.Default.RolloutPlanView);

    /// <summary>Two nodes with two NVIDIA A2 each, partitioned 4 ways (or <paramref name="partitionCount"/>); VMs given as JSON objects.</summary>
    private string Description(string suffix, int jobDelayMs, string node1Vms = "", string node2Vms = "", int partitionCount = 4) => $$"""
        {
          "name": "e2e-{{controlPlane.RunId}}-{{suffix}}",
          "timing": { "jobDelayMs": {{jobDelayMs}}, "guestShutdownMs": {{jobDelayMs / 2}} },
          "nodes": [
            { "name": "node1", "gpus": [ { "model": "NVIDIA A2", "partitionCount": {{partitionCount}} }, { "model": "NVIDIA A2", "partitionCount": {{partitionCount}} } ], "vms": [ {{node1Vms}} ] },
            { "name": "node2", "gpus": [ { "model": "NVIDIA A2", "partitionCount": {{partitionCount}} }, { "model": "NVIDIA A2", "partitionCount": {{partitionCount}} } ], "vms": [ {{node2Vms}} ] }
          ]
        }
        """;

    /// <summary>An Event Grid (EventGridEvent schema) delivery of an Azure Local VM instance write.</summary>
    private static string EventGridDelivery(string vm, string eventId)
    {
        var resource = $"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hci/providers/Microsoft.HybridCompute/machines/{vm}/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default";
        return $$"""
            [{
              "id": "{{eventId}}",
              "topic": "/subscriptions/00000000-0000-0000-0000-000000000001",
              "subject": "{{resource}}",
              "eventType": "Microsoft.Resources.ResourceWriteSuccess",
              "eventTime": "{{DateTimeOffset.UtcNow:O}}",
              "dataVersion": "",
              "metadataVersion": "1",
              "data": {
                "operationName": "Microsoft.AzureStackHCI/virtualMachineInstances/write",
                "resourceUri": "{{resource}}",
                "status": "Succeeded"
              }
            }]
            """;
    }

    private async Task WaitForNodesAsync(SimulatedHosts hosts)
        => await Eventually.WaitAsync(
            async () => await Api.GetInventoryAsync(hosts.Cluster, CancellationToken.None) is { } view && hosts.Nodes.All(n => view.Nodes.Contains(n)) ? view : null,
            Wait,
            () => $"both nodes of {hosts.Cluster} to report{Environment.NewLine}{Describe(hosts)}");

    private async Task<RequestView> SubmitAsync(SimulatedHosts hosts, string vm, string action)
    {
        var answer = await Api.PostAsync("api/partition-requests", $$"""{ "cluster": "{{hosts.Cluster}}", "vm": "{{vm}}", "action": "{{action}}" }""", CancellationToken.None);
        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.Describe());
        return Assert.Single(RequestView.All(answer.Body!));
    }

    private Task<RequestView> WaitForTerminalAsync(SimulatedHosts hosts, string id)
        => Eventually.WaitAsync(
            async () => await Api.GetRequestAsync(id, CancellationToken.None) is { IsTerminal: true } r ? r : null,
            Wait,
            () => $"request {id} to finish{Environment.NewLine}{Describe(hosts)}");

    private Task<ObservedVm> WaitForVmAsync(SimulatedHosts hosts, string vm, Func<ObservedVm, bool> condition)
        => Eventually.WaitAsync(
            async () => (await Api.GetInventoryAsync(hosts.Cluster, CancellationToken.None))?.Vm(vm) is { } v && condition(v) ? v : null,
            Wait,
            () => $"{vm} in the inventory in the expected state{Environment.NewLine}{Describe(hosts)}");

    private string Describe(SimulatedHosts hosts) => hosts.Describe() + Environment.NewLine + controlPlane.Describe();
}
