namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// The lowest version of <paramref name="Node"/>'s ledger that shows every hold <see cref="ClusterCapacityHolds"/>
/// has dropped for that node: a ledger read at an older version may miss one of those grants, so it is read again.
/// </summary>
public sealed record LedgerWatermark(string Node, long Version);
