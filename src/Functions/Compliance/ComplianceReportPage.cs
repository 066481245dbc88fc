namespace GpuAutomation.Functions.Compliance;

public sealed record ComplianceReportPage(IReadOnlyList<ComplianceReport> Reports, string? ContinuationToken);
