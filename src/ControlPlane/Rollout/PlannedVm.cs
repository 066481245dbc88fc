namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>Where a GPU VM ends up after the whole rollout.</summary>
/// <param name="Priority">1 is the most important; decides who keeps a partition when there are too few.</param>
/// <param name="FinalNode">The node it holds its partition on at the end; null when it loses it.</param>
/// <param name="Downtime">Expected total time off over all stages (an estimate).</param>
public sealed record PlannedVm(
    string VmName,
    Guid VmId,
    int Priority,
    string FromNode,
    string? FinalNode,
    TimeSpan Downtime);
