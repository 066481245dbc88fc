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

    /// <summary>No plan with that id in that cluster.</summary>
    public const string UnknownPlan = "unknown-plan";
}
