namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// [Queued →] Accepted → Dispatched → Running → Succeeded | Failed | Rejected | TimedOut; a queued request may end
/// Expired or Cancelled instead of being admitted. The order is the lifecycle's (terminal states last); stored as names.
/// </summary>
public enum RequestStatus
{
    Queued,
    Accepted,
    Dispatched,
    Running,
    Succeeded,
    Failed,
    Rejected,
    TimedOut,
    Expired,
    Cancelled,
}
