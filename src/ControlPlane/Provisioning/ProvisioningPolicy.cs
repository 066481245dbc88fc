namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>A cluster's provisioning and compliance settings, stored per cluster and edited through the API.</summary>
/// <param name="Rules">VM selection rules, in order; the first that matches a VM decides what it gets.</param>
/// <param name="Remediation">What compliance scans may fix by themselves; omitted means <see cref="RemediationPolicy.Default"/>.</param>
/// <param name="StaleInventoryAfterMinutes">A node whose last snapshot is older than this is reported as silent.</param>
public sealed record ProvisioningPolicy(
    IReadOnlyList<ProvisioningRule> Rules,
    RemediationPolicy? Remediation = null,
    int StaleInventoryAfterMinutes = 30)
{
    /// <summary>The policy of a cluster nobody configured: selects nothing, fixes only OfflineAction.</summary>
    public static ProvisioningPolicy Default { get; } = new([]);

    public RemediationPolicy EffectiveRemediation => Remediation ?? RemediationPolicy.Default;
}
