namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>The request a submission produced (possibly Rejected or Queued), or the one an idempotency key already named.</summary>
/// <param name="QueuePosition">When Queued: its place in the cluster's queue (1: next to be admitted when capacity frees).</param>
public sealed record SubmitOutcome(PartitionRequest Request, bool IsExisting, int? QueuePosition = null)
{
    public bool IsRejected => Request.Status == RequestStatus.Rejected;

    public bool IsQueued => Request.Status == RequestStatus.Queued;
}
