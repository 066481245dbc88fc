namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// How long the steps of a rollout take, for the downtime a plan expects per VM. These are planning assumptions, not
/// measurements: no public source gives GPU-P step durations on real hosts (a guest's shutdown and boot dominate and
/// vary per workload), so a plan shows the figures it used beside its downtimes. Not configurable yet: every plan
/// uses <see cref="Default"/>.
/// </summary>
public sealed record RolloutEstimates(
    TimeSpan StopVm,
    TimeSpan StartVm,
    TimeSpan RemovePartition,
    TimeSpan AddPartition,
    TimeSpan ChangeCount,
    TimeSpan QuickMove)
{
    public static RolloutEstimates Default { get; } = new(
        StopVm: TimeSpan.FromSeconds(60),
        StartVm: TimeSpan.FromSeconds(90),
        RemovePartition: TimeSpan.FromSeconds(10),
        AddPartition: TimeSpan.FromSeconds(10),
        ChangeCount: TimeSpan.FromSeconds(30),
        QuickMove: TimeSpan.FromSeconds(15));
}
