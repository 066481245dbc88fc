namespace GpuAutomation.Contracts.Inventory;

/// <summary>A partition of a GPU held by a VM (Msvm_GpuPartition seen from the GPU).</summary>
public sealed record GpuPartitionAssignment(
    int PartitionId,
    string VmName,
    Guid VmId,
    string? PartitionVfLuid);
