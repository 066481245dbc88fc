using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Commands;
using GpuAutomation.HostRunner.Simulation;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class AgentCommandTests
{
    [Fact]
    public async Task Assign_to_a_running_vm_ends_with_it_running_one_partition_and_offline_action_3()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var id = await h.SendAsync(new AssignPartition("web"));
        var result = await h.ResultAsync(id);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var vm = h.Cluster.Vm(Web);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        Assert.NotNull(vm.AdapterId);
        Assert.Equal(OfflineAction.ForceShutdown, vm.OfflineAction);
        Assert.Equal(StepOutcome.Succeeded, result.Steps.Single(s => s.Name == "ensure-vm-off").Outcome);
        Assert.Contains(result.InventoryAfter!.Vms, v => v.Id == Web && v.HasPartition);
        Assert.All(result.Steps, s => Assert.True(s.EndedAt >= s.StartedAt));
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == id && p.Step is null);
        await h.WaitForAsync<InventorySnapshot>(s => s.Inventory.Vms.Any(v => v.Id == Web && v.HasPartition));
    }

    [Fact]
    public async Task Unassign_from_a_running_vm_ends_with_it_running_and_no_partition()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new UnassignPartition("gpu")));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var vm = h.Cluster.Vm(Gpu);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        Assert.Null(vm.AdapterId);
        Assert.Equal(OfflineAction.ForceShutdown, vm.OfflineAction);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "already-assigned", CommandErrorCodes.VmHasPartition },
        { "vm-not-found", CommandErrorCodes.UnknownVm },
        { "ambiguous", CommandErrorCodes.VmAmbiguous },
        { "dda-gpu", CommandErrorCodes.GpuNotPartitioned },
        { "invalid-count", CommandErrorCodes.InvalidPartitionCount },
        { "count-while-assigned", CommandErrorCodes.PartitionsAssigned },
        { "no-capacity", CommandErrorCodes.NoFreePartition },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refused_commands_are_rejected_with_their_code_and_change_nothing(string refusal, string code)
    {
        await using var h = new AgentHarness(fullGpu: refusal == "no-capacity");
        var agent = await h.StartAgentAsync();
        var gpuPath = h.Cluster.Gpus(Node)[0].InstancePath;

        var ddaPath = agent.LastInventory!.Gpus.Single(g => g.AssignedStatus == GpuAssignedStatus.ReadyForDda).InstancePath;
        IMessageBody command = refusal switch
        {
            "already-assigned" => new AssignPartition("gpu"),
            "vm-not-found" => new AssignPartition("nope"),
            "ambiguous" => new AssignPartition("twin"),
            "dda-gpu" => new AssignPartition("web", GpuInstancePath: ddaPath),
            "invalid-count" => new ConfigurePartitionCount([], 5),
            "count-while-assigned" => new ConfigurePartitionCount([gpuPath], 8),
            _ => new AssignPartition("web"),
        };

        var result = await h.ResultAsync(await h.SendAsync(command));

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Web).PowerState);
        Assert.Null(h.Cluster.Vm(Web).AdapterId);
        Assert.Equal(4, h.Cluster.Gpus(Node)[0].PartitionCount);
    }

    [Fact]
    public async Task A_hyperv_job_failure_restores_the_vm_and_reports_the_step_and_code()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.FailJob, JobErrorCode: 32784, Description: "The GPU partition could not be allocated"));

        var result = await h.ResultAsync(await h.SendAsync(new AssignPartition("web")));

        Assert.Equal(CommandOutcome.Failed, result.Outcome);
        Assert.Equal(CommandErrorCodes.HyperVJobFailed, result.Error!.Code);
        Assert.Equal("add-partition-adapter", result.Error.Step);
        Assert.Equal(32784, result.Error.HyperVErrorCode);
        Assert.Contains("could not be allocated", result.Error.HyperVErrorDescription, StringComparison.Ordinal);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Web).PowerState);
        Assert.Null(h.Cluster.Vm(Web).AdapterId);
        Assert.Equal(StepOutcome.Succeeded, result.Steps.Single(s => s.Name == "restore-power-state").Outcome);
    }

    [Fact]
    public async Task A_guest_without_the_shutdown_service_is_turned_off_and_the_assign_completes()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new AssignPartition("noshut")));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal("TurnedOff", result.Steps.Single(s => s.Name == "ensure-vm-off").Detail);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(NoShutdown).PowerState);
        Assert.NotNull(h.Cluster.Vm(NoShutdown).AdapterId);
    }

    [Fact]
    public async Task A_duplicate_command_is_executed_once_and_its_result_sent_again()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        var id = await h.SendAsync(new AssignPartition("stopped"));
        var first = await h.ResultAsync(id);
        h.Cluster.RemovePartition(Stopped);

        await h.SendAsync(new AssignPartition("stopped"), id);
        var second = await h.ResultAsync(id, count: 2);

        Assert.Equal(first, second with { Steps = first.Steps, InventoryAfter = first.InventoryAfter });
        Assert.Equal(first.CompletedAt, second.CompletedAt);
        Assert.Null(h.Cluster.Vm(Stopped).AdapterId);
    }

    [Fact]
    public async Task A_command_that_expired_while_queued_is_rejected_and_not_executed()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.Slow, Delay: TimeSpan.FromSeconds(1)));
        var slow = await h.SendAsync(new AssignPartition("stopped"));
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == slow && p.Step?.Name == "ensure-vm-off");
        var issued = DateTimeOffset.UtcNow;

        // Brokers drop messages past their TTL; one that expires after it was journaled, queued behind another, reaches the executor.
        var id = await h.SendAsync(new AssignPartition("web"), issuedAt: issued, expiresAt: issued.AddMilliseconds(300));
        var result = await h.ResultAsync(id);

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(CommandErrorCodes.Expired, result.Error!.Code);
        Assert.Empty(result.Steps);
        Assert.Null(h.Cluster.Vm(Web).AdapterId);
    }

    [Fact]
    public async Task A_crash_after_the_vm_stopped_resumes_from_the_journal_and_completes()
    {
        await using var h = new AgentHarness();
        var first = await h.StartAgentAsync();
        h.Cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.Hang));
        var id = await h.SendAsync(new AssignPartition("web"));
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == id && p.Step?.Name == "ensure-vm-off");
        await h.StopAgentAsync(first);
        Assert.Equal(VmPowerState.Off, h.Cluster.Vm(Web).PowerState);
        Assert.Null(h.Cluster.Vm(Web).AdapterId);
        Assert.DoesNotContain(h.Reports, r => r.Body is CommandResult);

        h.Cluster.Faults.Clear();
        await h.StartAgentAsync();
        var result = await h.ResultAsync(id);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Web).PowerState);
        Assert.NotNull(h.Cluster.Vm(Web).AdapterId);
        Assert.Single(result.Steps, s => s.Name == "record-power-state");
        Assert.Equal("Running", h.Cluster.Vm(Web).PowerState.ToString());
    }

    [Fact]
    public async Task Configure_partition_count_and_set_offline_action_change_the_host()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        var node2Free = h.Cluster.Gpus(Node)[0].InstancePath;
        h.Cluster.RemovePartition(Gpu);

        var configured = await h.ResultAsync(await h.SendAsync(new ConfigurePartitionCount([node2Free], 8)));
        var offline = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown)));
        var inventory = await h.ResultAsync(await h.SendAsync(new CollectInventory()));

        Assert.Equal(CommandOutcome.Succeeded, configured.Outcome);
        Assert.Equal(8, h.Cluster.Gpus(Node)[0].PartitionCount);
        Assert.Equal(CommandOutcome.Succeeded, offline.Outcome);
        Assert.Equal(OfflineAction.ForceShutdown, h.Cluster.Vm(Web).OfflineAction);
        Assert.Equal(CommandOutcome.Succeeded, inventory.Outcome);
        Assert.Equal(8, inventory.InventoryAfter!.Gpus[0].PartitionCount);
    }
}
