using System.Collections.Concurrent;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Reports;

namespace GpuAutomation.ControlPlane.Tests.Reports;

public sealed class ReportIntakeTests
{
    private sealed class CollectingObserver : IClusterEventObserver
    {
        public ConcurrentQueue<(string Cluster, ClusterEvent Event)> Seen { get; } = new();

        public Task OnClusterEventAsync(string cluster, ClusterEvent clusterEvent, CancellationToken cancellationToken)
        {
            Seen.Enqueue((cluster, clusterEvent));
            return Task.CompletedTask;
        }
    }

    private static Message Event(ClusterEvent body) => Message.Create(body, "evt-" + Guid.NewGuid().ToString("N"), Sample.Cluster, body.Node, body.OccurredAt);

    [Fact]
    public async Task Vm_created_reaches_the_provisioning_observers()
    {
        var observer = new CollectingObserver();
        using var plane = new ControlPlaneHarness(Backends.InMemory(), observer);
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));
        var created = new ClusterEvent(ClusterEventKind.VmCreated, "node1", Sample.Start.AddMinutes(1), "new-vm", Guid.NewGuid(), PowerState: VmPowerState.Off, Notes: "gpu-profile: a2-quarter");

        await plane.Intake.HandleAsync(Event(created), default);

        var (cluster, seen) = Assert.Single(observer.Seen);
        Assert.Equal(Sample.Cluster, cluster);
        Assert.Equal(created, seen);
    }

    [Fact]
    public async Task Vm_events_newer_than_the_snapshot_update_the_inventory_and_older_ones_do_not()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, without: 3));

        await plane.Intake.HandleAsync(Event(new ClusterEvent(ClusterEventKind.VmRemoved, "node1", Sample.Start.AddMinutes(1), "node1-vm0", Sample.VmId("node1-vm0"))), default);
        await plane.Intake.HandleAsync(Event(new ClusterEvent(ClusterEventKind.VmStateChanged, "node1", Sample.Start.AddMinutes(1), "node1-vm1", Sample.VmId("node1-vm1"), PowerState: VmPowerState.Off)), default);
        await plane.Intake.HandleAsync(Event(new ClusterEvent(ClusterEventKind.VmRemoved, "node1", Sample.Start.AddMinutes(-1), "node1-vm2", Sample.VmId("node1-vm2"))), default);

        var node = (await plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!;
        Assert.Equal(["node1-vm1", "node1-vm2"], node.Vms.Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.Equal(VmPowerState.Off, node.Vms.Single(v => v.Name == "node1-vm1").PowerState);
    }

    [Fact]
    public async Task A_newer_snapshot_reconciles_capacity_and_drops_reservations_it_already_shows()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, without: 3));
        await plane.AssignAsync("node1-vm0");
        await plane.AssignAsync("node1-vm1");
        Assert.Equal("no-free-partition", (await plane.AssignAsync("node1-vm2")).Request.Error?.Code);

        // The host finished vm0's assignment and freed a partition by hand before the result arrived.
        var later = Sample.Node("node1", Sample.Start.AddMinutes(2), partitionCount: 4, without: 0) with
        {
            Gpus = [Sample.Gpu("gpu-node1-0", 4, ["node1-vm0"])],
            Vms = [Sample.Vm("node1-vm0", "node1", "gpu-node1-0"), Sample.Vm("node1-vm1", "node1"), Sample.Vm("node1-vm2", "node1")],
        };
        await plane.SeedAsync(later);

        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Equal(3, ledger.FreePartitions);
        Assert.Equal(["node1-vm1"], ledger.Reservations.Select(r => r.VmName));

        await plane.SeedAsync(Sample.Node("node1", Sample.Start.AddMinutes(1), partitionCount: 2, without: 3));
        Assert.Equal(3, (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.FreePartitions);
    }
}
