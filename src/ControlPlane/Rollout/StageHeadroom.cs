namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Failover headroom at one point of a rollout (<see cref="Capacity.FailoverHeadroom"/> over the cluster as it would be).
/// </summary>
/// <param name="FreePartitions">Free partitions in the cluster.</param>
/// <param name="SurvivesAnyNodeLoss">Whether every node's clustered GPU VMs could restart on the others (N+1).</param>
/// <param name="WorstNode">The node whose loss would hurt most.</param>
/// <param name="Short">How many GPU VMs losing <paramref name="WorstNode"/> would strand.</param>
public sealed record StageHeadroom(int FreePartitions, bool SurvivesAnyNodeLoss, string? WorstNode, int Short);
