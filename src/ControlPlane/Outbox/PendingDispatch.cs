using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>A command just written with its outbox row, and its request as written (with the ETag).</summary>
public sealed record PendingDispatch(OutboxEntry Entry, StoredRequest Written);
