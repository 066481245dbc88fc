namespace GpuAutomation.ControlPlane.Compliance;

public sealed record ComplianceReportPage(IReadOnlyList<ComplianceReport> Reports, string? ContinuationToken);
