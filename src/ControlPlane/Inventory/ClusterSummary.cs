namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>One line of the cluster list.</summary>
public sealed record ClusterSummary(
    string Cluster,
    int Nodes,
    int Gpus,
    int FreePartitions,
    DateTimeOffset OldestSnapshotAt,
    DateTimeOffset NewestSnapshotAt);
