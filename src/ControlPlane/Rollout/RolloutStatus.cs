namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>Where an applied plan is: Running until it ends Succeeded, Failed or Cancelled; Paused waits for Resume.</summary>
public enum RolloutStatus
{
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}
