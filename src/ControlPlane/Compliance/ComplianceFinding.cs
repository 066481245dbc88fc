namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>One way a cluster differs from how GPU-P must be (or how its policy wants it).</summary>
/// <param name="Rule">A stable code from <see cref="ComplianceRules"/>.</param>
/// <param name="Resource">What the finding is about: "cluster", "node/&lt;node&gt;", "gpu/&lt;node&gt;/&lt;path&gt;" or "vm/&lt;name&gt;".</param>
/// <param name="RemediationRequestId">The partition request a scan created to fix it, when it did.</param>
public sealed record ComplianceFinding(
    string Rule,
    FindingSeverity Severity,
    string Resource,
    string Message,
    Remediation? Remediation,
    string? RemediationRequestId = null);
