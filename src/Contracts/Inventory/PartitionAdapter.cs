namespace GpuAutomation.Contracts.Inventory;

/// <summary>A VM's GPU partition adapter (what Get-VMGpuPartitionAdapter prints).</summary>
/// <param name="AdapterId">The Msvm_GpuPartitionSettingData InstanceID.</param>
/// <param name="GpuInstancePath">The partitioned GPU's instance path, once the partition is realized.</param>
public sealed record PartitionAdapter(
    string AdapterId,
    string? GpuInstancePath,
    int? PartitionId,
    string? PartitionVfLuid);
