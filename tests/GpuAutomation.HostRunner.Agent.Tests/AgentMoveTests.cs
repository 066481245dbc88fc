using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Simulation;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>MoveVm end to end through the agent, the journal and the emulated failover cluster (issue 18, placement).</summary>
public sealed class AgentMoveTests
{
    /// <summary>An R572 driver (vGPU 18): 32.0.15.7260 is 572.60.</summary>
    private const string Vgpu18Driver = "32.0.15.7260";

    [Fact]
    public async Task A_stopped_vm_moves_by_a_quick_move_of_its_cluster_group_and_stays_off()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new MoveVm("stopped", Stopped, "node2")));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var vm = h.Cluster.Vm(Stopped);
        Assert.Equal("node2", vm.Node);
        Assert.Equal(VmPowerState.Off, vm.PowerState);
        Assert.Equal(new VmPlacement("stopped", Stopped, Node, "node2", MoveMethod.Quick, VmPowerState.Off, "the VM is Off: its cluster group moves (quick)"), result.Placement);
        Assert.Equal(StepOutcome.Succeeded, result.Steps.Single(s => s.Name == "move-cluster-group").Outcome);
        Assert.DoesNotContain(result.Steps, s => s.Name == "ensure-vm-off");
        Assert.DoesNotContain(result.InventoryAfter!.Vms, v => v.Id == Stopped);
    }

    [Fact]
    public async Task A_running_gpu_vm_live_migrates_when_both_nodes_meet_the_prerequisites_and_keeps_running()
    {
        await using var h = new AgentHarness(gpuDriver: Vgpu18Driver);
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live)));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var vm = h.Cluster.Vm(Gpu);
        Assert.Equal("node2", vm.Node);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        Assert.Equal(h.Cluster.Gpus("node2")[0].InstancePath, vm.PartitionGpu);
        Assert.Equal(0, h.Cluster.Gpus(Node)[0].AssignedPartitions);
        Assert.Equal(MoveMethod.Live, result.Placement!.Method);
        Assert.Equal(VmPowerState.Running, result.Placement.PowerState);
        Assert.DoesNotContain(result.Steps, s => s.Name == "ensure-vm-off");
        Assert.Equal(StepOutcome.AlreadyDone, result.Steps.Single(s => s.Name == "ensure-vm-power-after").Outcome);
    }

    [Fact]
    public async Task Live_migration_without_the_prerequisites_is_refused_and_changes_nothing()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live, LiveMigrationFallback.Fail)));

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(CommandErrorCodes.LiveMigrationUnsupported, result.Error!.Code);
        Assert.Contains("vGPU 18", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(Node, h.Cluster.Vm(Gpu).Node);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Gpu).PowerState);
    }

    [Fact]
    public async Task Live_refused_falls_back_to_stop_move_start_and_the_vm_runs_on_the_target()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live, LiveMigrationFallback.StopMoveStart)));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var vm = h.Cluster.Vm(Gpu);
        Assert.Equal("node2", vm.Node);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        Assert.Equal(h.Cluster.Gpus("node2")[0].InstancePath, vm.PartitionGpu);
        Assert.Equal(MoveMethod.StopMoveStart, result.Placement!.Method);
        Assert.Contains("vGPU 18", result.Placement.Reason, StringComparison.Ordinal);
        Assert.Equal(
            ["resolve-vm-group", "check-target-node", "choose-move-method", "ensure-vm-off", "move-cluster-group", "ensure-vm-power-after"],
            result.Steps.Select(s => s.Name));
        Assert.All(result.Steps, s => Assert.Equal(StepOutcome.Succeeded, s.Outcome));
    }

    [Fact]
    public async Task A_stop_move_start_that_asks_to_leave_the_vm_off_does_not_start_it_on_the_target()
    {
        // What the control plane sends to place a running VM under moves: when-off: the assignment that follows
        // needs the VM off, so starting it on the target would only cost another restart.
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new MoveVm("web", Web, "node2", MoveMode.Quick, LiveMigrationFallback.StopMoveStart, PowerAfterChange.LeaveOff)));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(("node2", VmPowerState.Off), (h.Cluster.Vm(Web).Node, h.Cluster.Vm(Web).PowerState));
        Assert.Equal((MoveMethod.StopMoveStart, VmPowerState.Off), (result.Placement!.Method, result.Placement.PowerState));
        Assert.Equal(StepOutcome.AlreadyDone, result.Steps.Single(s => s.Name == "ensure-vm-power-after").Outcome);
    }

    [Fact]
    public async Task A_live_migration_the_cluster_refuses_for_the_target_falls_back_to_stop_move_start_when_allowed()
    {
        // node1 meets the prerequisites, node2 runs an older build: only the cluster can tell.
        await using var h = new AgentHarness(gpuDriver: Vgpu18Driver, node2OsBuild: "25398");
        await h.StartAgentAsync();

        var strict = await h.ResultAsync(await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live, LiveMigrationFallback.Fail)));
        var vmAfterStrict = h.Cluster.Vm(Gpu);
        var lenient = await h.ResultAsync(await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live, LiveMigrationFallback.StopMoveStart)));

        Assert.Equal((CommandOutcome.Failed, CommandErrorCodes.LiveMigrationUnsupported), (strict.Outcome, strict.Error!.Code));
        Assert.Equal((Node, VmPowerState.Running), (vmAfterStrict.Node, vmAfterStrict.PowerState));
        Assert.Equal(CommandOutcome.Succeeded, lenient.Outcome);
        Assert.Equal(("node2", VmPowerState.Running), (h.Cluster.Vm(Gpu).Node, h.Cluster.Vm(Gpu).PowerState));
        Assert.Equal(MoveMethod.StopMoveStart, lenient.Placement!.Method);
        Assert.Contains("build 25398", lenient.Placement.Reason, StringComparison.Ordinal);
        Assert.Equal(StepOutcome.Failed, lenient.Steps.Single(s => s.Name == "move-cluster-group").Outcome);
        Assert.Equal(StepOutcome.Succeeded, lenient.Steps.Single(s => s.Name == "move-cluster-group-stopped").Outcome);
    }

    [Fact]
    public async Task The_emulated_cluster_refuses_a_live_migration_of_a_gpu_vm_the_agent_did_not_check()
    {
        // The provider itself enforces the prerequisites: the same call the agent makes, made without the agent's check.
        await using var h = new AgentHarness();
        var host = h.Cluster.HostFor(Node);
        var group = await host.Groups.GetAsync("gpu", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<Cim.CimException>(() => host.Groups.MoveAsync(group!, "node2", live: true, CancellationToken.None));

        Assert.Equal(ClusterWin32Errors.NotSupported, refused.NativeCode);
        Assert.Equal(Node, h.Cluster.Vm(Gpu).Node);
    }

    [Fact]
    public async Task A_move_to_a_node_that_is_down_or_not_a_possible_owner_is_refused_with_its_code()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.SetNodeState("node2", ClusterNodeState.Down);
        var down = await h.ResultAsync(await h.SendAsync(new MoveVm("stopped", Stopped, "node2")));
        h.Cluster.SetNodeState("node2", ClusterNodeState.Up);
        h.Cluster.SetPossibleOwners(Stopped, Node);
        var notOwner = await h.ResultAsync(await h.SendAsync(new MoveVm("stopped", Stopped, "node2")));

        Assert.Equal((CommandOutcome.Rejected, CommandErrorCodes.TargetNodeUnavailable), (down.Outcome, down.Error!.Code));
        Assert.Equal((CommandOutcome.Failed, CommandErrorCodes.NotPossibleOwner), (notOwner.Outcome, notOwner.Error!.Code));
        Assert.Equal(ClusterWin32Errors.NodeCantHostResource, (uint?)notOwner.Error.HyperVErrorCode);
        Assert.Equal(Node, h.Cluster.Vm(Stopped).Node);
    }

    [Fact]
    public async Task A_move_whose_vm_is_already_on_the_target_succeeds_without_moving_again()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        var first = await h.ResultAsync(await h.SendAsync(new MoveVm("stopped", Stopped, "node2")));
        h.Cluster.Faults.Add(new EmulatedFault(ClusterGroups.MoveToNewNode, EmulatedFaultKind.Fail));

        var again = await h.ResultAsync(await h.SendAsync(new MoveVm("stopped", Stopped, "node2")));

        Assert.Equal(CommandOutcome.Succeeded, first.Outcome);
        Assert.Equal(CommandOutcome.Succeeded, again.Outcome);
        Assert.Equal(MoveMethod.AlreadyThere, again.Placement!.Method);
        Assert.Equal("node2", again.Placement.Node);
        Assert.Equal(StepOutcome.AlreadyDone, Assert.Single(again.Steps).Outcome);
        Assert.Equal("node2", h.Cluster.Vm(Stopped).Node);
    }

    [Fact]
    public async Task A_redelivered_move_after_completion_is_answered_from_the_journal()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        var id = await h.SendAsync(new MoveVm("stopped", Stopped, "node2"));
        var first = await h.ResultAsync(id);

        await h.SendAsync(new MoveVm("stopped", Stopped, "node2"), id);
        var second = await h.ResultAsync(id, count: 2);

        Assert.Equal(first.Placement, second.Placement);
        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal("node2", h.Cluster.Vm(Stopped).Node);
    }

    [Fact]
    public async Task An_agent_killed_after_the_move_resumes_from_the_journal_and_starts_the_vm_on_the_target()
    {
        await using var h = new AgentHarness();
        var first = await h.StartAgentAsync();
        h.Cluster.Faults.Add(new EmulatedFault(ClusterGroups.BringOnline, EmulatedFaultKind.Hang));
        var id = await h.SendAsync(new MoveVm("gpu", Gpu, "node2", MoveMode.Live, LiveMigrationFallback.StopMoveStart));
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == id && p.Step?.Name == "move-cluster-group");
        await h.StopAgentAsync(first);
        Assert.Equal(("node2", VmPowerState.Off), (h.Cluster.Vm(Gpu).Node, h.Cluster.Vm(Gpu).PowerState));
        Assert.DoesNotContain(h.Reports, r => r.Body is CommandResult);

        h.Cluster.Faults.Clear();
        h.Cluster.Faults.Add(new EmulatedFault(ClusterGroups.MoveToNewNode, EmulatedFaultKind.Fail));
        await h.StartAgentAsync();
        var result = await h.ResultAsync(id);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(("node2", VmPowerState.Running), (h.Cluster.Vm(Gpu).Node, h.Cluster.Vm(Gpu).PowerState));
        Assert.Single(result.Steps, s => s.Name == "move-cluster-group");
        Assert.Single(result.Steps, s => s.Name == "ensure-vm-off");
        Assert.Equal(new VmPlacement("gpu", Gpu, Node, "node2", MoveMethod.StopMoveStart, VmPowerState.Running, result.Placement!.Reason), result.Placement);
    }

    [Fact]
    public async Task An_agent_killed_while_the_group_moves_resumes_and_does_not_ask_the_cluster_to_move_it_twice()
    {
        await using var h = new AgentHarness();
        var first = await h.StartAgentAsync();
        // The move is asked for, then the agent dies waiting for it (the provider hangs after the group moved).
        h.Cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Hang, ClusterGroups.GroupClass, Skip: 1));
        var id = await h.SendAsync(new MoveVm("stopped", Stopped, "node2"));
        await WaitUntilAsync(() => h.Cluster.Vm(Stopped).Node == "node2");
        await h.StopAgentAsync(first);

        h.Cluster.Faults.Clear();
        h.Cluster.Faults.Add(new EmulatedFault(ClusterGroups.MoveToNewNode, EmulatedFaultKind.Fail));
        await h.StartAgentAsync();
        var result = await h.ResultAsync(id);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(StepOutcome.AlreadyDone, result.Steps.Single(s => s.Name == "move-cluster-group" && s.Outcome != StepOutcome.Failed).Outcome);
        Assert.Equal(MoveMethod.Quick, result.Placement!.Method);
        Assert.Equal("node2", h.Cluster.Vm(Stopped).Node);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 20 s.");
            await Task.Delay(10);
        }
    }
}
