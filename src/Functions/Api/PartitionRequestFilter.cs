namespace GpuAutomation.Functions.Api;

/// <summary>Query of <c>GET /api/partition-requests?cluster=&amp;status=&amp;vm=&amp;pageSize=&amp;continuationToken=</c>.</summary>
public sealed record PartitionRequestFilter(string? Cluster, string? Status, string? Vm, int PageSize, string? ContinuationToken)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
}
