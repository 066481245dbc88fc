using GpuAutomation.ControlPlane.Capacity;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>What an operator asks of a rolling partition count change.</summary>
/// <param name="MaxNodesAtOnce">Nodes changed in one stage; their VMs can't move to each other.</param>
/// <param name="Moves">Whether VMs may leave a node being changed for another with a free partition.</param>
/// <param name="Strategy">Which node a moved VM goes to.</param>
public sealed record RolloutPlanRequest(
    string Cluster,
    int PartitionCount,
    int MaxNodesAtOnce = 1,
    MovePolicy Moves = MovePolicy.Never,
    PlacementStrategy Strategy = PlacementStrategy.Spread);
