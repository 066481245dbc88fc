using GpuAutomation.ControlPlane.Outbox;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>What <see cref="RequestAdmission.AdmitAsync"/> did: stored the request (with its outbox row, unless it waits for a move), refused it, or neither (the write declined).</summary>
public sealed record AdmissionResult(StoredRequest? Stored, OutboxEntry? Outbox, RequestNotice? Refusal);
