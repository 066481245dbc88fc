namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>The request a submission produced (possibly Rejected), or the one an idempotency key already named.</summary>
public sealed record SubmitOutcome(PartitionRequest Request, bool IsExisting)
{
    public bool IsRejected => Request.Status == RequestStatus.Rejected;
}
