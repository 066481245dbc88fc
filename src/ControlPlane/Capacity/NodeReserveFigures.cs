namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>One node's figures for the reserve: partitions free after requests in flight, and the GPU VMs failover would restart elsewhere.</summary>
/// <param name="Free">Free partitions less the assignments in flight on the node.</param>
/// <param name="GpuVms">Clustered VMs holding a partition, plus the assignments in flight (each will hold one).</param>
public sealed record NodeReserveFigures(string Node, int Free, int GpuVms);
