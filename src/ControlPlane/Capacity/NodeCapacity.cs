namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>What failover headroom needs of a node: its free partitions per GPU model and the GPU VMs the cluster would restart elsewhere.</summary>
/// <param name="FreeByModel">Free partitions on its healthy GPUs, per model (case-insensitive).</param>
/// <param name="GpuVms">Its clustered VMs holding a partition.</param>
public sealed record NodeCapacity(string Node, IReadOnlyDictionary<string, int> FreeByModel, IReadOnlyList<GpuVm> GpuVms);
