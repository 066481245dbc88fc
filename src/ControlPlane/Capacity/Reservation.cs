using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>A request in flight on a node: holds a partition (assign) or the VM / the node against other changes.</summary>
public sealed record Reservation(
    string RequestId,
    PartitionAction Action,
    string? VmName,
    Guid? VmId,
    DateTimeOffset ReservedAt)
{
    /// <summary>An assignment admitted under a capacity hold (<see cref="ClusterCapacityHolds"/>): when it leaves the ledger, the ledger remembers it settled.</summary>
    public bool Held { get; init; }
}
