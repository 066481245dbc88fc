using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>The outcome of admitting a queued request, the request as it then is, and why it waits or ended.</summary>
public sealed record QueueAdmission(QueueAdmissionOutcome Outcome, PartitionRequest Request, RequestNotice? Reason);
