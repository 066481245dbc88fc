namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Filters of a request listing; results come per cluster and node, oldest first within a node.</summary>
public sealed record RequestListQuery(
    string? Cluster = null,
    string? Node = null,
    RequestStatus? Status = null,
    string? VmName = null,
    int PageSize = 50,
    string? ContinuationToken = null);
