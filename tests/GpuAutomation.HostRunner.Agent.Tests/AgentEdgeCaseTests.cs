using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Commands;
using GpuAutomation.HostRunner.Simulation;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class AgentEdgeCaseTests
{
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
        Assert.Equal(CommandCodes.VmBusy, result.Error!.Code);
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
