using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Commands;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class AgentEdgeCaseTests
{
    [Fact]
    public async Task An_unexpected_fault_reporting_one_command_does_not_stop_the_next_from_running()
    {
        var bus = new FaultingBus(new InMemoryMessageBus());
        await using var h = new AgentHarness(bus);
        await h.StartAgentAsync();
        bus.FailNextSnapshot = true;

        var first = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown)));
        var second = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("stopped", OfflineAction.ForceShutdown)));

        Assert.False(bus.FailNextSnapshot);
        Assert.Equal(CommandOutcome.Succeeded, first.Outcome);
        Assert.Equal(CommandOutcome.Succeeded, second.Outcome);
    }

    [Fact]
    public async Task A_result_lost_to_an_unexpected_fault_is_sent_at_the_next_start_and_the_commands_after_it_still_run()
    {
        var bus = new FaultingBus(new InMemoryMessageBus());
        await using var h = new AgentHarness(bus);
        var agent = await h.StartAgentAsync();
        bus.FailNextResult = true;

        var lost = await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown));
        var next = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("stopped", OfflineAction.ForceShutdown)));
        Assert.Equal(CommandOutcome.Succeeded, next.Outcome);
        Assert.DoesNotContain(h.Reports.Select(r => r.Body).OfType<CommandResult>(), r => r.CommandId == lost);

        await h.StopAgentAsync(agent);
        await h.StartAgentAsync();
        Assert.Equal(CommandOutcome.Succeeded, (await h.ResultAsync(lost)).Outcome);
    }

    [Fact]
    public async Task A_failed_offline_action_write_is_reported_failed_not_rejected()
    {
        // The write is a Change step: its failure means the command failed part-way (code review P7).
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.Faults.Add(new EmulatedFault("ModifyInstance", EmulatedFaultKind.Fail, ClassName: "MSCluster_Resource", Code: Cim.CimErrors.AccessDenied));

        var result = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown)));

        Assert.Equal(CommandOutcome.Failed, result.Outcome);
        Assert.Equal("ensure-offline-action", result.Error?.Step);
    }

    [Fact]
    public async Task Offline_action_for_a_vm_that_is_not_clustered_is_rejected_in_the_check_step()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.SetClustered(Web, false);

        var result = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown)));

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(CommandErrorCodes.VmNotClustered, result.Error?.Code);
        Assert.Equal(CommandExecutor.CheckClustered, result.Error?.Step);
    }

    [Fact]
    public async Task Assign_raises_the_gpu_p_vm_settings_before_the_add()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new AssignPartition("stopped")));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var names = result.Steps.Select(s => s.Name).ToList();
        Assert.True(names.IndexOf("ensure-gpu-vm-settings") is var i && i >= 0 && i < names.IndexOf("add-partition-adapter"));
        var vm = h.Cluster.Vm(Stopped);
        Assert.True(vm.GuestControlledCacheTypes);
        Assert.True(vm.LowMmioGapMb >= 1024);
        Assert.True(vm.HighMmioGapMb >= 32768);
    }

    [Fact]
    public async Task A_command_for_another_cluster_is_rejected_like_one_for_another_node()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new SetOfflineAction("web", OfflineAction.ForceShutdown), addressedCluster: "other-cluster"));

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(CommandErrorCodes.WrongCluster, result.Error?.Code);
        Assert.Equal(OfflineAction.Save, h.Cluster.Vm(Web).OfflineAction);
    }

    /// <summary>A bus whose next snapshot or result publish throws a fault no one planned for (a bug, not a broker error).</summary>
    private sealed class FaultingBus(IMessageBus inner) : IMessageBus
    {
        public bool FailNextSnapshot { get; set; }

        public bool FailNextResult { get; set; }

        public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
        {
            if (message.Body is InventorySnapshot && FailNextSnapshot)
            {
                FailNextSnapshot = false;
                throw new InvalidOperationException("A bug in the snapshot path.");
            }

            if (message.Body is CommandResult && FailNextResult)
            {
                FailNextResult = false;
                throw new InvalidOperationException("A bug in the result path.");
            }

            return inner.PublishAsync(queue, message, cancellationToken);
        }

        public Task<IMessageConsumer> StartConsumerAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
            => inner.StartConsumerAsync(queue, handler, options, cancellationToken);

        public Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
            => inner.ProbeAsync(queue, access, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task Unassign_of_a_vm_without_a_partition_succeeds_without_stopping_it()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new UnassignPartition("web")));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(StepOutcome.AlreadyDone, result.Steps.Single(s => s.Name == "check-assigned").Outcome);
        Assert.DoesNotContain(result.Steps, s => s.Name == "ensure-vm-off");
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Web).PowerState);
    }

    [Fact]
    public async Task A_saved_vm_is_refused_so_its_memory_state_is_not_thrown_away()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();
        h.Cluster.SetPowerState(Web, VmPowerState.Saved);

        var result = await h.ResultAsync(await h.SendAsync(new AssignPartition("web")));

        Assert.Equal(CommandOutcome.Rejected, result.Outcome);
        Assert.Equal(CommandErrorCodes.VmBusy, result.Error!.Code);
        Assert.Equal(VmPowerState.Saved, h.Cluster.Vm(Web).PowerState);
    }

    [Fact]
    public async Task Leave_off_keeps_a_running_vm_off_after_the_assign()
    {
        await using var h = new AgentHarness();
        await h.StartAgentAsync();

        var result = await h.ResultAsync(await h.SendAsync(new AssignPartition("web", PowerAfter: PowerAfterChange.LeaveOff)));

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(VmPowerState.Off, h.Cluster.Vm(Web).PowerState);
        Assert.NotNull(h.Cluster.Vm(Web).AdapterId);
    }

    [Fact]
    public async Task A_result_the_broker_never_took_is_sent_at_the_next_start()
    {
        await using var h = new AgentHarness();
        var at = DateTimeOffset.UtcNow;
        using (var journal = Journal.CommandJournal.Open(h.JournalFolder))
        {
            var command = journal.Receive(Message.Create(new CollectInventory(), "done-1", ClusterName, Node, at, "request-9"));
            journal.Complete(command, new CommandResult("done-1", MessageTypes.CollectInventory, CommandOutcome.Succeeded, [], null, null, at, at));
        }

        await h.StartAgentAsync();
        var result = await h.ResultAsync("done-1");

        Assert.Equal(at, result.CompletedAt);
        Assert.Equal("request-9", h.Reports.Single(r => r.Body is CommandResult).Envelope.CorrelationId);
    }
}
