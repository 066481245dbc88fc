namespace GpuAutomation.Functions.Compliance;

/// <summary>One deviation a compliance check found, e.g. "offline-action" on VM web01 of node2.</summary>
public sealed record ComplianceFinding(
    string Code,
    FindingSeverity Severity,
    string Message,
    string? Node = null,
    string? VmName = null,
    string? GpuInstancePath = null,
    string? RemediationRequestId = null);
