using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Tests;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>
/// Commands are settled once journaled, before anything waits on the reports queue (audit fidelity-azure.md 3.14,
/// problem 3), run through the Service Bus SDK against the peer so that locks really lapse.
/// </summary>
public sealed class CommandSettlementTests
{
    private static readonly string CommandQueue = QueueNames.Commands(AgentHarness.ClusterName, AgentHarness.Node);

    [Fact]
    public async Task A_slow_reports_queue_lapses_no_command_lock()
    {
        // Locks shorter than one report publish, and no renewal: a command still locked while the agent publishes
        // progress loses its lock and comes back.
        using var peer = new ServiceBusPeer { LockDuration = TimeSpan.FromSeconds(1) };
        peer.CreateQueue(CommandQueue);
        peer.CreateQueue(QueueNames.Reports);
        var bus = MessageBusFactory.Create(peer.ConnectionString, new MessageBusOptions { MaxAutoLockRenewalDuration = TimeSpan.Zero });
        await using var h = new AgentHarness(new SlowReportsBus(bus, TimeSpan.FromSeconds(1.5)));
        await h.StartAgentAsync();

        var first = await h.SendAsync(new CollectInventory());
        var second = await h.SendAsync(new CollectInventory());
        var results = new[] { await h.ResultAsync(first), await h.ResultAsync(second) };

        Assert.All(results, r => Assert.Equal(CommandOutcome.Succeeded, r.Outcome));
        Assert.Equal(1, peer.Transfers(first));
        Assert.Equal(1, peer.Transfers(second));
        Assert.Empty(await peer.DeadLettersAsync(CommandQueue));
        Assert.Equal(0, await peer.LockedCountAsync(CommandQueue) + await peer.ReadyCountAsync(CommandQueue));
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == second && p.Step is null);
    }
}
