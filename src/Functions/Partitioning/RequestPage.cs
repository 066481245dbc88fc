namespace GpuAutomation.Functions.Partitioning;

public sealed record RequestPage(IReadOnlyList<PartitionRequest> Requests, string? ContinuationToken);
