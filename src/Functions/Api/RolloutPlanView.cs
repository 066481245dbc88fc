namespace GpuAutomation.Functions.Api;

/// <summary>
/// A rolling partition count change, planned and not applied: the stages in order with each VM's step, the failover
/// headroom before, during and after each stage, where every VM ends up, who loses a partition and why, and what
/// blocks the plan, if anything. Downtimes are estimates in seconds from <c>estimatesSeconds</c>. <c>run</c> is null
/// until the plan is applied.
/// </summary>
public sealed record RolloutPlanView(
    string Id,
    string Cluster,
    int PartitionCount,
    int MaxNodesAtOnce,
    string Moves,
    string Strategy,
    DateTimeOffset PlannedAt,
    bool CanApply,
    IReadOnlyList<NoticeView> Blockers,
    IReadOnlyList<NoticeView> Warnings,
    StageHeadroomView Before,
    IReadOnlyList<RolloutStageView> Stages,
    IReadOnlyList<PlannedVmView> Vms,
    IReadOnlyList<NoticeView> LosingPartitions,
    IReadOnlyDictionary<string, double> EstimatesSeconds,
    IReadOnlyList<InventoryMarkView> Inventory,
    RolloutRunView? Run);

/// <summary>One stage: its nodes change together after their VMs moved or stopped.</summary>
public sealed record RolloutStageView(int Number, IReadOnlyList<string> Nodes, IReadOnlyList<VmStepView> Steps, StageHeadroomView During, StageHeadroomView After);

/// <summary>
/// What a stage does to one VM: <c>live-migrate</c>, <c>move</c>, <c>stop-in-place</c>, <c>stop-and-move-after</c> or
/// <c>lose-partition</c>; <c>toNode</c> is null when it loses its partition.
/// </summary>
public sealed record VmStepView(string Vm, Guid VmId, string Kind, string FromNode, string? ToNode, bool WasRunning, double DowntimeSeconds, string Why);

/// <summary>Failover headroom at one point of the rollout.</summary>
public sealed record StageHeadroomView(int FreePartitions, bool SurvivesAnyNodeLoss, string? WorstNode, int Short);

/// <summary>Where a VM ends up; <c>finalNode</c> null when it loses its partition. Priority 1 keeps its partition first.</summary>
public sealed record PlannedVmView(string Vm, Guid VmId, int Priority, string FromNode, string? FinalNode, double DowntimeSeconds);

/// <summary>The snapshot of a node the plan was made from.</summary>
public sealed record InventoryMarkView(string Node, DateTimeOffset TakenAt, long? Sequence);

/// <summary>
/// An applied plan as it runs: <c>status</c> running, paused, succeeded, failed or cancelled; the 1-based stage and
/// its phase (<c>vacate</c>, <c>change-count</c>, <c>give-back</c>); the requests of that phase and every request the
/// rollout submitted (each readable at <c>/api/partition-requests/{id}</c>); why it failed, was cancelled or waits; and
/// what is left to do.
/// </summary>
public sealed record RolloutRunView(
    string Status,
    int Stage,
    int Stages,
    string Phase,
    IReadOnlyList<string> CurrentRequests,
    IReadOnlyList<string> Requests,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    string StartedBy,
    NoticeView? Note,
    string LeftToDo);
