namespace GpuAutomation.ControlPlane.Partitioning;

public sealed record RequestPage(IReadOnlyList<PartitionRequest> Requests, string? ContinuationToken);
