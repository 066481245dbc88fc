namespace GpuAutomation.Functions.Api;

/// <summary>Body of the 202 to <c>PUT /api/clusters/{cluster}/partition-count</c>: one request per node, and warnings.</summary>
public sealed record PartitionCountChangeView(IReadOnlyList<PartitionRequestView> Requests, IReadOnlyList<NoticeView> Warnings);
