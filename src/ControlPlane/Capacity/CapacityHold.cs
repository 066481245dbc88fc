namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// An assignment admitted against the cluster's reserve whose node ledger may not show it yet (see
/// <see cref="ClusterCapacityHolds"/>): it counts as one partition taken on <paramref name="Node"/> until the ledger
/// holds its reservation, its writer removes it, or it is older than a writer can take.
/// </summary>
public sealed record CapacityHold(string RequestId, string Node, DateTimeOffset HeldAt);
