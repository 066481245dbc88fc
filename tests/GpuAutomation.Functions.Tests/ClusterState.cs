using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Puts a running app's real core into a known state (cluster cl1 with VMs vm-gpu-01 and vm-gpu-02 on node1, and a
/// policy that provisions vm-gpu-*), and reads back what the core stored or sent.
/// </summary>
public static class ClusterState
{
    public const string Cluster = ControlPlaneFixture.Cluster;

    /// <summary>The VM of <see cref="Payloads.VmCreatedReport"/> and <see cref="Payloads.VmInstanceWriteEvent"/>.</summary>
    public static readonly Guid GpuVmOneId = Guid.Parse("6d1c2a3e-8a47-4e0e-9d55-0c1f4b1a2b3c");

    /// <summary>The VM of <see cref="Payloads.VmInstanceWriteCloudEvent"/>.</summary>
    public static readonly Guid GpuVmTwoId = Guid.Parse("7e2d3b4f-9b58-4f1f-8e66-1d2a5c2b3c4d");

    /// <summary>node1 of cl1 registered as a deployment registers its nodes (reports of unregistered nodes are refused).</summary>
    public static IReadOnlyDictionary<string, string> RegisteredNodes { get; } = new Dictionary<string, string>
    {
        [$"GpuAutomation:Nodes:{Cluster}:node1:PrincipalId"] = "00000000-0000-4000-8000-000000000001",
    };

    public static NodeInventory Node(DateTimeOffset takenAt)
    {
        var node = ControlPlaneFixture.Node("node1", takenAt: takenAt);
        var off = node.Vms[1];
        return node with { Vms = [.. node.Vms, off with { Name = "vm-gpu-01", Id = GpuVmOneId }, off with { Name = "vm-gpu-02", Id = GpuVmTwoId }] };
    }

    /// <summary>The provisioning policy and node1's inventory, stored through the core as the API and a host would.</summary>
    public static async Task SeedAsync(IServiceProvider services)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var policy = new ProvisioningPolicy([new ProvisioningRule("gpu-vms", NamePattern: "vm-gpu-*")]);
        await services.GetRequiredService<PolicyStore>().SaveAsync(Cluster, policy, now, "test", null, default);
        var snapshot = Message.Create(new InventorySnapshot(Node(now)), "seed-" + Guid.NewGuid().ToString("N")[..8], Cluster, "node1", now);
        await services.GetRequiredService<ReportIntake>().HandleAsync(snapshot, default);
    }

    /// <summary>Every stored partition request of cl1.</summary>
    public static async Task<IReadOnlyList<PartitionRequest>> RequestsAsync(IServiceProvider services)
        => (await services.GetRequiredService<PartitionRequestService>().ListAsync(new RequestListQuery(Cluster, PageSize: 100), default)).Requests;

    /// <summary>The messages published on <paramref name="queue"/> within a short wait (they are taken off the queue).</summary>
    public static async Task<IReadOnlyList<Message>> TakeAsync(InMemoryMessageBus bus, string queue, int atLeast)
    {
        var received = new System.Collections.Concurrent.ConcurrentQueue<Message>();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.Enqueue(m.Message);
            return Task.FromResult(Settlement.Complete);
        });
        var deadline = DateTime.UtcNow.AddSeconds(atLeast == 0 ? 0.3 : 10);
        while ((atLeast == 0 || received.Count < atLeast) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return [.. received];
    }
}
