namespace GpuAutomation.Functions.Api;

/// <summary>One compliance check of a cluster; compliant when every finding is only informational.</summary>
public sealed record ComplianceReportView(string Id, string Cluster, DateTimeOffset CheckedAt, bool Compliant, IReadOnlyList<ComplianceFindingView> Findings);
