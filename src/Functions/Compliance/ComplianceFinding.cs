namespace GpuAutomation.Functions.Compliance;

/// <summary>One way a cluster differs from how GPU-P must be (or how its policy wants it).</summary>
/// <param name="Rule">A stable code from <see cref="ComplianceRules"/>.</param>
/// <param name="Resource">What the finding is about: "cluster", "node/&lt;node&gt;", "gpu/&lt;node&gt;/&lt;path&gt;" or "vm/&lt;name&gt;".</param>
public sealed record ComplianceFinding(
    string Rule,
    FindingSeverity Severity,
    string Resource,
    string Message,
    Remediation? Remediation);
