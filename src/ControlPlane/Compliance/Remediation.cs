namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>The change that would fix a finding.</summary>
/// <param name="Automatic">True when the cluster's policy lets a scan make this change by itself.</param>
public sealed record Remediation(
    RemediationKind Kind,
    string Description,
    bool Automatic,
    string? Node = null,
    string? VmName = null,
    Guid? VmId = null);
