namespace GpuAutomation.Functions.Api;

/// <summary>One page of <c>GET /api/partition-requests</c>; pass <paramref name="ContinuationToken"/> back for the next.</summary>
public sealed record PartitionRequestListView(IReadOnlyList<PartitionRequestView> Requests, string? ContinuationToken);
