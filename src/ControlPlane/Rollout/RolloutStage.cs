namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// One stage of a rollout: the VMs on <paramref name="Nodes"/> give up their partitions (moved or stopped), those
/// nodes' GPUs change to the new count, then the stopped VMs get their partitions back and are started.
/// </summary>
/// <param name="Number">1-based; stages run in order, one at a time.</param>
/// <param name="During">Headroom while the stage's nodes are being changed (their partitions unusable).</param>
/// <param name="After">Headroom once the stage is done.</param>
public sealed record RolloutStage(
    int Number,
    IReadOnlyList<string> Nodes,
    IReadOnlyList<VmStep> Steps,
    StageHeadroom During,
    StageHeadroom After);
