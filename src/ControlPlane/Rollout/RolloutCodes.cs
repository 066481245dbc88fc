namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>Stable codes of rolling partition count changes (beside <see cref="Partitioning.RequestCodes"/>, which plans reuse for the same reasons).</summary>
public static class RolloutCodes
{
    /// <summary>The request itself can't be planned (e.g. maxNodesAtOnce below 1).</summary>
    public const string InvalidRollout = "invalid-rollout";

    /// <summary>A VM won't get a partition back after the change; the message says why.</summary>
    public const string PartitionLost = "partition-lost";

    /// <summary>A node's inventory changed since the plan was made: plan again.</summary>
    public const string PlanOutdated = "plan-outdated";

    /// <summary>The plan has blockers; it can't be applied (plan again once they are gone).</summary>
    public const string PlanBlocked = "plan-blocked";

    /// <summary>
    /// The plan moves VMs between nodes, which applying can't do yet: the control plane has no move request (the
    /// agent's MoveVm command is issue 18's placement). Plan with moves: never.
    /// </summary>
    public const string MovesNotBuilt = "moves-not-built";

    /// <summary>The run already ended (Succeeded, Failed or Cancelled), or was never started: nothing to pause, resume or cancel.</summary>
    public const string RolloutNotRunning = "rollout-not-running";

    /// <summary>An operator cancelled the rollout (the note says what was left to do).</summary>
    public const string RolloutCancelled = "rollout-cancelled";

    /// <summary>No plan with that id in that cluster.</summary>
    public const string UnknownPlan = "unknown-plan";
}
