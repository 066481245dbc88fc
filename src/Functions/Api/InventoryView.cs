namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/clusters/{cluster}/inventory</c>: the latest snapshot of every node.</summary>
/// <param name="OldestSnapshotAt">The oldest node snapshot: the cluster view is at least this old.</param>
/// <param name="Warnings">Cluster warnings, e.g. clock-skew: a node whose reports were refused as dated ahead of the control plane's clock.</param>
/// <param name="InventoryAgeSeconds">Seconds since <paramref name="OldestSnapshotAt"/> when the inventory was read.</param>
public sealed record InventoryView(
    string Cluster,
    DateTimeOffset OldestSnapshotAt,
    long InventoryAgeSeconds,
    int TotalPartitions,
    int FreePartitions,
    IReadOnlyList<NodeView> Nodes,
    IReadOnlyList<NoticeView>? Warnings = null);
