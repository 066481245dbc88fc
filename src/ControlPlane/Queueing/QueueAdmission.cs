using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>The outcome of admitting a queued request, the request as it then is, and why it waits or ended.</summary>
/// <param name="NothingFree">Waiting, and no node of the cluster had a free partition when it was tried: nothing later in the queue fits either.</param>
public sealed record QueueAdmission(QueueAdmissionOutcome Outcome, PartitionRequest Request, RequestNotice? Reason, bool NothingFree = false);
