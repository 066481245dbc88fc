namespace GpuAutomation.Functions.Api;

/// <summary>A finding: a stable rule code, Info/Warning/Error, what it is about, and the fix.</summary>
/// <param name="RemediationRequestId">The partition request the scan created to fix it, when it did.</param>
public sealed record ComplianceFindingView(
    string Rule,
    string Severity,
    string Resource,
    string Message,
    RemediationView? Remediation,
    string? RemediationRequestId);
