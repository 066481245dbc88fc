namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Which snapshot of a node a plan was made from. Applying a plan whose nodes have newer snapshots is refused: the
/// plan may no longer fit (re-plan).
/// </summary>
public sealed record InventoryMark(string Node, DateTimeOffset TakenAt, Guid? AgentStart, long? Sequence);
