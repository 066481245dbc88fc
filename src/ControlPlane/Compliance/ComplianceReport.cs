namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>The outcome of one compliance check of a cluster.</summary>
public sealed record ComplianceReport(
    string Id,
    string Cluster,
    DateTimeOffset CheckedAt,
    IReadOnlyList<ComplianceFinding> Findings)
{
    public bool IsCompliant => Findings.All(f => f.Severity == FindingSeverity.Info);
}
