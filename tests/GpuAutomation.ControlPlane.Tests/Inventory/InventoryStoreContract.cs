using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Functions.Inventory;
using GpuAutomation.Functions.Storage;

namespace GpuAutomation.ControlPlane.Tests.Inventory;

public abstract class InventoryStoreContract
{
    private protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task A_stale_snapshot_never_replaces_a_newer_one()
    {
        var store = new InventoryStore(CreateTables());
        var newer = Sample.Node("node1", Sample.Start.AddMinutes(5), withPartition: 2);
        var older = Sample.Node("node1", Sample.Start, withPartition: 0);

        Assert.True(await store.SaveIfNewerAsync(Sample.Cluster, newer, default));
        Assert.False(await store.SaveIfNewerAsync(Sample.Cluster, older, default));
        Assert.False(await store.SaveIfNewerAsync(Sample.Cluster, newer, default));

        var stored = await store.GetNodeAsync(Sample.Cluster, "NODE1", default);
        Assert.Equal(newer.TakenAt, stored!.Inventory.TakenAt);
        Assert.Equal(2, stored.Inventory.Gpus[0].Partitions.Count);
    }

    [Fact]
    public async Task A_snapshot_far_larger_than_one_property_round_trips()
    {
        var store = new InventoryStore(CreateTables());
        var notes = new string('n', 2000);
        var node = Sample.Node("node1", Sample.Start, without: 0) with
        {
            Vms = Enumerable.Range(0, 1024).Select(i => Sample.Vm($"vm-{i:D4}", "node1") with { Notes = $"{i}:{Guid.NewGuid()}:{notes}" }).ToList(),
        };

        Assert.True(await store.SaveIfNewerAsync(Sample.Cluster, node, default));

        var stored = (await store.GetNodeAsync(Sample.Cluster, "node1", default))!.Inventory;
        Assert.Equal(1024, stored.Vms.Count);
        Assert.Equal(node.Vms.Select(v => (v.Id, v.Name, v.Notes)), stored.Vms.Select(v => (v.Id, v.Name, v.Notes)));
    }

    [Fact]
    public async Task Clusters_list_with_node_counts_and_free_partitions()
    {
        var store = new InventoryStore(CreateTables());
        await store.SaveIfNewerAsync("clus1", Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 1), default);
        await store.SaveIfNewerAsync("clus1", Sample.Node("node2", Sample.Start.AddMinutes(1), partitionCount: 4), default);
        await store.SaveIfNewerAsync("clus2", Sample.Node("node1", Sample.Start, partitionCount: 8), default);

        var clusters = await store.ListClustersAsync(default);

        Assert.Equal(
            [new ClusterSummary("clus1", 2, 2, 7, Sample.Start, Sample.Start.AddMinutes(1)), new ClusterSummary("clus2", 1, 1, 8, Sample.Start, Sample.Start)],
            clusters.OrderBy(c => c.Cluster, StringComparer.Ordinal));
        var view = await store.GetClusterAsync("clus1", default);
        Assert.Equal(["node1", "node2"], view.Nodes.Select(n => n.Node));
        Assert.Equal(8, view.TotalPartitions);
    }
}

public sealed class InMemoryInventoryStoreTests : InventoryStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.InMemory();
}

public sealed class TableStorageInventoryStoreTests : InventoryStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.Azurite();
}
