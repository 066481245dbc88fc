using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Queueing;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>A cluster's provisioning and compliance settings, stored per cluster and edited through the API.</summary>
/// <param name="Rules">VM selection rules, in order; the first that matches a VM decides what it gets.</param>
/// <param name="Remediation">What compliance scans may fix by themselves; omitted means <see cref="RemediationPolicy.Default"/>.</param>
/// <param name="StaleInventoryAfterMinutes">A node whose last snapshot is older than this is reported as silent.</param>
/// <param name="Reserve">Free partitions admission keeps back from assignments (failover headroom).</param>
/// <param name="ReservePartitions">With <see cref="ReserveMode.Fixed"/>: how many partitions stay free across the cluster.</param>
/// <param name="OnReserveBreach">Refuse an assignment that would break the reserve, or accept it with a warning.</param>
/// <param name="Moves">Whether an assignment whose VM's node has no free partition may move the VM to a node that has one.</param>
/// <param name="Strategy">Which node such a VM moves to.</param>
/// <param name="Queue">Requests that name no queue terms of their own wait on these instead of being refused for capacity; null: they are refused.</param>
public sealed record ProvisioningPolicy(
    IReadOnlyList<ProvisioningRule> Rules,
    RemediationPolicy? Remediation = null,
    int StaleInventoryAfterMinutes = 30,
    ReserveMode Reserve = ReserveMode.None,
    int? ReservePartitions = null,
    ReserveBreachAction OnReserveBreach = ReserveBreachAction.Refuse,
    QueueTerms? Queue = null,
    MovePolicy Moves = MovePolicy.Never,
    PlacementStrategy Strategy = PlacementStrategy.Spread)
{
    /// <summary>The policy of a cluster nobody configured: selects nothing, fixes only OfflineAction.</summary>
    public static ProvisioningPolicy Default { get; } = new([]);

    public RemediationPolicy EffectiveRemediation => Remediation ?? RemediationPolicy.Default;
}
