namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/clusters</c>: every cluster with at least one node that has reported.</summary>
public sealed record ClusterListView(IReadOnlyList<ClusterSummaryView> Clusters);
