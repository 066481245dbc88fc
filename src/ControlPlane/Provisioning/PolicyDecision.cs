namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Whether a policy selects a VM and, when it does, the rule that did.</summary>
public sealed record PolicyDecision(PolicyMatch Match, ProvisioningRule? Rule)
{
    public static PolicyDecision NotSelected { get; } = new(PolicyMatch.NotSelected, null);

    public bool IsSelected => Match == PolicyMatch.Selected;
}
