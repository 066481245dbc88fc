namespace GpuAutomation.Functions.Api;

/// <summary>A registered node: only registered nodes' reports count.</summary>
/// <param name="Source">"configuration" (deployment settings, not removable here) or "operator".</param>
/// <param name="ClockSkewSeconds">How far ahead of the control plane's clock the node's last refused report was; null when its clock is fine.</param>
public sealed record NodeRegistrationView(
    string Cluster,
    string Node,
    string? PrincipalId,
    string Source,
    DateTimeOffset? RegisteredAt,
    double? ClockSkewSeconds,
    DateTimeOffset? ClockSkewSeenAt);
