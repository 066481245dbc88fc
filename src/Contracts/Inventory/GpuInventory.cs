namespace GpuAutomation.Contracts.Inventory;

/// <summary>A physical GPU on a node as the host reports it.</summary>
/// <param name="InstancePath">Msvm_PartitionableGpu.Name, the device interface path; the GPU's identity.</param>
/// <param name="PnpInstanceId">The Win32_PnPEntity device id the instance path maps to.</param>
/// <param name="PnpStatus">Win32_PnPEntity.Status ("OK", "Error", "Degraded", "Unknown").</param>
/// <param name="PnpErrorCode">Win32_PnPEntity.ConfigManagerErrorCode; 0 means working.</param>
/// <param name="MemoryMiB">Physical memory in MiB when the driver reports TotalVRAM in bytes (server GPU-P) or the vendor tool reports it; null for a client driver's relative units.</param>
/// <param name="Driver">The GPU's host driver; null from agents that predate it.</param>
public sealed record GpuInventory(
    string InstancePath,
    string? PnpInstanceId,
    string Vendor,
    string Model,
    long? MemoryMiB,
    string PnpStatus,
    int PnpErrorCode,
    GpuAssignedStatus AssignedStatus,
    IReadOnlyList<int> ValidPartitionCounts,
    int PartitionCount,
    GpuResources? Resources,
    IReadOnlyList<GpuPartitionAssignment> Partitions,
    GpuDriver? Driver = null,
    GpuUtilization? Utilization = null)
{
    /// <summary>Partitions not held by any VM.</summary>
    public int FreePartitions => AssignedStatus == GpuAssignedStatus.Partitioned
        ? Math.Max(0, PartitionCount - Partitions.Count)
        : 0;
}
