namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/clusters/{cluster}/compliance</c>: the latest report and the recent ones, newest first.</summary>
public sealed record ComplianceView(string Cluster, ComplianceReportView? Latest, IReadOnlyList<ComplianceReportView> History, string? ContinuationToken);
