using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.Simulation;

/// <summary>Two emulator instances (as in two processes) over one state file behave as one cluster.</summary>
public sealed class SharedStateCimClientTests : IDisposable
{
    private readonly string _stateFile = Path.Combine(Path.GetTempPath(), "shared-state-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_stateFile);

    [Fact]
    public async Task A_partition_added_through_one_process_is_seen_and_counted_by_the_other()
    {
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        var alsoNode1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);

        await node1.Adapters.AddAsync(Emulator.Vm2, null, null, CancellationToken.None);
        var seen = await alsoNode1.Adapters.ListAsync(Emulator.Vm2, CancellationToken.None);
        var inventory = await alsoNode1.Inventory.ReadAsync(CancellationToken.None);

        Assert.Single(seen);
        Assert.Equal(2, inventory.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).Sum(g => g.Partitions.Count));
    }

    [Fact]
    public async Task A_vm_moved_by_one_process_leaves_the_other_nodes_view()
    {
        var outside = new SharedStateCimClient(Emulator.Cluster(), "node2", _stateFile);
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        var node2 = new HyperVHost("node2", new SharedStateCimClient(Emulator.Cluster(), "node2", _stateFile), Emulator.Fast);
        Assert.Contains(await node1.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2);

        await outside.ChangeAsync(c => c.MoveVm(Emulator.Vm2, "node2"));

        Assert.DoesNotContain(await node1.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2);
        Assert.Contains(await node2.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2 && v.PowerState == VmPowerState.Off);
    }

    [Fact]
    public async Task A_group_moved_through_one_node_is_seen_on_the_other_and_node_states_are_shared()
    {
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        var node2 = new HyperVHost("node2", new SharedStateCimClient(Emulator.Cluster(), "node2", _stateFile), Emulator.Fast);
        var outside = new SharedStateCimClient(Emulator.Cluster(), "node2", _stateFile);
        var group = await node1.Groups.GetAsync("vm2", CancellationToken.None);

        var moved = await node1.Groups.MoveAsync(group!, "node2", live: false, CancellationToken.None);
        await outside.ChangeAsync(c => c.SetNodeState("node1", GpuAutomation.HostRunner.Cluster.ClusterNodeState.Paused));

        Assert.True(moved.IsOwnedBy("node2"));
        Assert.Contains(await node2.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2);
        Assert.DoesNotContain(await node1.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2);
        Assert.Equal(GpuAutomation.HostRunner.Cluster.ClusterNodeState.Paused, await node2.Groups.NodeStateAsync("node1", CancellationToken.None));
    }

    [Fact]
    public async Task A_change_by_another_process_between_two_calls_is_seen_even_when_it_keeps_the_file_size()
    {
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        var outside = new SharedStateCimClient(Emulator.Cluster(), "node2", _stateFile);
        await node1.Vms.ListAsync(CancellationToken.None);
        var size = new FileInfo(_stateFile).Length;

        await outside.ChangeAsync(c => c.SetPowerState(Emulator.Vm2, VmPowerState.Running));

        Assert.Equal(size, new FileInfo(_stateFile).Length);
        Assert.Equal(VmPowerState.Running, (await node1.Vms.GetAsync(Emulator.Vm2, CancellationToken.None)).PowerState);
    }

    [Fact]
    public async Task Calls_that_only_read_leave_the_state_file_untouched_and_a_change_is_written()
    {
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        await node1.Vms.ListAsync(CancellationToken.None);
        var past = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(_stateFile, past);

        await node1.Inventory.ReadAsync(CancellationToken.None);
        Assert.Equal(past, File.GetLastWriteTimeUtc(_stateFile));

        await node1.Adapters.AddAsync(Emulator.Vm2, null, null, CancellationToken.None);
        Assert.NotEqual(past, File.GetLastWriteTimeUtc(_stateFile));
        var fresh = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile), Emulator.Fast);
        Assert.Single(await fresh.Adapters.ListAsync(Emulator.Vm2, CancellationToken.None));
    }

    [Fact]
    public async Task A_call_that_cannot_get_the_state_file_in_time_fails_as_unavailable_and_the_next_one_works()
    {
        var node1 = new HyperVHost("node1", new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile, TimeSpan.FromMilliseconds(300)), Emulator.Fast);
        await node1.Vms.ListAsync(CancellationToken.None);

        using (new FileStream(_stateFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var refused = await Assert.ThrowsAsync<CimException>(() => node1.Vms.ListAsync(CancellationToken.None));
            Assert.Equal(CimErrors.Unavailable, refused.Code);
            Assert.Contains(_stateFile, refused.Message, StringComparison.Ordinal);
        }

        Assert.Contains(await node1.Vms.ListAsync(CancellationToken.None), v => v.Id == Emulator.Vm2);
    }
}
