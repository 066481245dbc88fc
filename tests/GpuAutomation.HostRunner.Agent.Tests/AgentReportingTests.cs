using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Simulation;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class AgentReportingTests
{
    [Fact]
    public async Task A_snapshot_is_sent_on_start()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var snapshot = await h.WaitForAsync<InventorySnapshot>(_ => true);

        Assert.Equal(Node, snapshot.Inventory.Node);
        Assert.Equal(6, snapshot.Inventory.Vms.Count);
        Assert.Equal(Node, h.Reports[0].Envelope.Node);
        Assert.Equal(ClusterName, h.Reports[0].Envelope.Cluster);
    }

    [Fact]
    public async Task Changes_on_the_node_become_cluster_events_and_a_new_snapshot()
    {
        await using var h = new AgentHarness(changePoll: TimeSpan.FromMilliseconds(100));
        await h.StartAgentAsync();
        await h.WaitForAsync<InventorySnapshot>(_ => true);

        var fresh = h.Cluster.AddVm(Node, new VmDescription("fresh", Notes: "gpu-profile: a2-quarter"));
        var created = await h.WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmCreated);
        h.Cluster.SetPowerState(fresh, VmPowerState.Running);
        var changed = await h.WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmStateChanged);
        h.Cluster.MoveVm(Web, "node2");
        var moved = await h.WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmMoved);
        h.Cluster.RemoveVm(Stopped);
        var removed = await h.WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmRemoved);

        Assert.Equal(("fresh", fresh, "gpu-profile: a2-quarter", VmPowerState.Off), (created.VmName, created.VmId, created.Notes, created.PowerState));
        Assert.Equal((fresh, VmPowerState.Running), (changed.VmId, changed.PowerState));
        Assert.Equal((Web, "node2", Node), (moved.VmId, moved.Node, moved.FromNode));
        Assert.Equal(Stopped, removed.VmId);
        await h.WaitForAsync<InventorySnapshot>(s => s.Inventory.Vms.All(v => v.Id != Stopped && v.Id != Web));
        Assert.Single(h.Reports, r => r.Body is ClusterEvent { Kind: ClusterEventKind.VmCreated });
    }

    [Fact]
    public async Task A_change_check_that_finds_nothing_sends_nothing()
    {
        await using var h = new AgentHarness(changePoll: TimeSpan.FromMilliseconds(100));
        await h.StartAgentAsync();
        await h.WaitForAsync<InventorySnapshot>(_ => true);
        // Several change checks (every 100 ms) run after the start snapshot arrived.
        await Task.Delay(500);

        Assert.Single(h.Reports, r => r.Body is InventorySnapshot);
    }
}
