using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Storage;

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
    public async Task Cluster_view_shows_what_another_instance_saved_since_it_was_last_read()
    {
        var tables = CreateTables();
        var reader = new InventoryStore(tables);
        var writer = new InventoryStore(tables);
        await writer.SaveIfNewerAsync(Sample.Cluster, Sample.Node("node1", Sample.Start, withPartition: 0), default);
        await writer.SaveIfNewerAsync(Sample.Cluster, Sample.Node("node2", Sample.Start, withPartition: 0), default);
        var before = await reader.GetClusterAsync(Sample.Cluster, default);

        await writer.SaveIfNewerAsync(Sample.Cluster, Sample.Node("node2", Sample.Start.AddMinutes(1), withPartition: 1), default);
        await writer.SaveIfNewerAsync(Sample.Cluster, Sample.Node("node3", Sample.Start.AddMinutes(1)), default);
        var after = await reader.GetClusterAsync(Sample.Cluster, default);

        Assert.Equal(["node1", "node2"], before.Nodes.Select(n => n.Node));
        Assert.Equal(["node1", "node2", "node3"], after.Nodes.Select(n => n.Node));
        Assert.Same(before.Nodes[0], after.Nodes[0]);
        Assert.Equal(Sample.Start.AddMinutes(1), after.Nodes[1].TakenAt);
        Assert.Single(after.Nodes[1].Gpus[0].Partitions);
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
