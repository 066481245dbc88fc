namespace GpuAutomation.Functions.Api;

/// <summary>One line of the cluster list.</summary>
/// <param name="InventoryAgeSeconds">Age of the cluster's oldest node snapshot when the list was read.</param>
public sealed record ClusterSummaryView(
    string Cluster,
    int Nodes,
    int Gpus,
    int FreePartitions,
    DateTimeOffset OldestSnapshotAt,
    DateTimeOffset NewestSnapshotAt,
    long InventoryAgeSeconds);
