namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A partition count change of a whole cluster (or of some of its GPUs): one request per node, all or none.</summary>
/// <param name="GpuInstancePaths">The GPUs to change (nodes built alike share a path: it names the GPU in that slot on each
/// of them); null: every partitionable GPU of the cluster.</param>
/// <param name="IdempotencyKey">The same key returns the requests first created with it.</param>
public sealed record ClusterPartitionCountChange(
    string Cluster,
    int PartitionCount,
    IReadOnlyList<string>? GpuInstancePaths,
    RequestOrigin Origin,
    string RequestedBy,
    string? IdempotencyKey);
