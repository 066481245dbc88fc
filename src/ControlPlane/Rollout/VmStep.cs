namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>One VM's part in a stage.</summary>
/// <param name="ToNode">Where the VM holds its partition after the stage; null when it loses it.</param>
/// <param name="WasRunning">Its power state is restored as it was: started again only when it was running.</param>
/// <param name="Downtime">Expected time the VM is off because of this stage (an estimate, see <see cref="RolloutEstimates"/>).</param>
/// <param name="Why">Why this step and not another, for the operator.</param>
public sealed record VmStep(
    string VmName,
    Guid VmId,
    VmStepKind Kind,
    string FromNode,
    string? ToNode,
    bool WasRunning,
    TimeSpan Downtime,
    string Why);
