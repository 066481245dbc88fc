using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// An applied plan as it runs: the stage and phase it is in and the requests of that phase. Every step is an ordinary
/// partition request (journaled by the agent, visible among the requests); the run only decides what comes next.
/// </summary>
/// <param name="Stage">0-based index into the plan's stages; equal to their count once done.</param>
/// <param name="Requests">Every request the rollout submitted so far, in order (the audit trail).</param>
/// <param name="Note">Why it failed, was cancelled or waits (stale inventory); null otherwise.</param>
public sealed record RolloutRun(
    string PlanId,
    string Cluster,
    RolloutStatus Status,
    int Stage,
    RolloutPhase Phase,
    IReadOnlyList<RolloutStepRun> Current,
    IReadOnlyList<string> Requests,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    string StartedBy,
    RequestNotice? Note)
{
    public bool IsFinished => Status is RolloutStatus.Succeeded or RolloutStatus.Failed or RolloutStatus.Cancelled;
}
