namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Accepted → Dispatched → Running → Succeeded | Failed | Rejected | TimedOut; the order is the lifecycle's.</summary>
public enum RequestStatus
{
    Accepted,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    Rejected,
    TimedOut,
}
