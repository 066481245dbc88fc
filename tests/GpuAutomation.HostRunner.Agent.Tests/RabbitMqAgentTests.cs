using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Testing;
using static GpuAutomation.HostRunner.Agent.Tests.AgentHarness;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>The agent over a real AMQP 1.0 broker (RabbitMQ), the transport it uses against Service Bus.</summary>
[Collection("rabbitmq")]
public sealed class RabbitMqAgentTests
{
    [Fact]
    public async Task Assign_and_a_duplicate_over_rabbitmq()
    {
        await using var h = new AgentHarness(AmqpMessageBus.Create(TestServices.AmqpAddress.ToString()));
        await h.StartAgentAsync();

        var id = await h.SendAsync(new AssignPartition("web"));
        var result = await h.ResultAsync(id);
        await h.SendAsync(new AssignPartition("web"), id);
        var again = await h.ResultAsync(id, count: 2);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(result.CompletedAt, again.CompletedAt);
        Assert.Equal(VmPowerState.Running, h.Cluster.Vm(Web).PowerState);
        Assert.NotNull(h.Cluster.Vm(Web).AdapterId);
        await h.WaitForAsync<CommandProgress>(p => p.CommandId == id && p.Step?.Name == "add-partition-adapter");
        await h.WaitForAsync<InventorySnapshot>(s => s.Inventory.Vms.Any(v => v.Id == Web && v.HasPartition));
    }
}
