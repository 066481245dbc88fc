using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// A rolling partition count change worked out in advance, node by node, without touching anything. A plan that
/// can't be done says why in <paramref name="Blockers"/>.
/// </summary>
/// <param name="Inventory">The snapshots it was made from; applying it after any of them changed is refused.</param>
/// <param name="Vms">Every VM that holds a partition on a node that changes, by priority.</param>
/// <param name="LosingPartitions">The VMs that won't get a partition back, and why (a subset of <paramref name="Vms"/>).</param>
/// <param name="Before">Headroom before anything changes.</param>
public sealed record RolloutPlan(
    string Id,
    string Cluster,
    RolloutPlanRequest Request,
    DateTimeOffset PlannedAt,
    IReadOnlyList<InventoryMark> Inventory,
    StageHeadroom Before,
    IReadOnlyList<RolloutStage> Stages,
    IReadOnlyList<PlannedVm> Vms,
    IReadOnlyList<RequestNotice> LosingPartitions,
    IReadOnlyList<RequestNotice> Warnings,
    IReadOnlyList<RequestNotice> Blockers,
    RolloutEstimates Estimates)
{
    public bool CanApply => Blockers.Count == 0;
}
