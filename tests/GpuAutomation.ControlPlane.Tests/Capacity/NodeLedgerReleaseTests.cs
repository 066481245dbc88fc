using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

/// <summary>The agent's change poll and a command's result race to the control plane; capacity must not depend on which wins.</summary>
public sealed class NodeLedgerReleaseTests
{
    [Fact]
    public void A_count_change_whose_effect_a_newer_snapshot_already_shows_keeps_that_snapshots_capacity()
    {
        var before = Sample.Node("node1", Sample.Start, partitionCount: 2, without: 2);
        var changing = NodeLedger.FromInventory(Sample.Cluster, before) with
        {
            Reservations = [new Reservation("req-1", PartitionAction.ConfigurePartitionCount, null, null, Sample.Start)],
        };

        // The poll's snapshot (4 free) was taken after the result's inventory-after and reached the ledger first.
        var inventoryAfterTakenAt = Sample.Start.AddSeconds(2);
        var polled = changing.Reconcile(Sample.Node("node1", Sample.Start.AddSeconds(3), partitionCount: 4, without: 2));
        var released = polled.Release("req-1", changeApplied: true, inventoryAfterTakenAt);

        Assert.Empty(released.Reservations);
        Assert.Equal(4, released.AvailablePartitions);
    }

    [Fact]
    public void A_count_change_released_before_any_newer_snapshot_waits_for_the_inventory_after()
    {
        var before = Sample.Node("node1", Sample.Start, partitionCount: 2, without: 2);
        var changing = NodeLedger.FromInventory(Sample.Cluster, before) with
        {
            Reservations = [new Reservation("req-1", PartitionAction.ConfigurePartitionCount, null, null, Sample.Start)],
        };
        var inventoryAfterTakenAt = Sample.Start.AddSeconds(2);

        var released = changing.Release("req-1", changeApplied: true, inventoryAfterTakenAt);
        Assert.Equal(0, released.AvailablePartitions);

        // The inventory-after, dated as the release, then applies.
        var reconciled = released.Reconcile(Sample.Node("node1", inventoryAfterTakenAt, partitionCount: 4, without: 2));
        Assert.Equal(4, reconciled.AvailablePartitions);
    }
}
