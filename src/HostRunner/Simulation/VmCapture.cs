namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A VM's facts as captured that <see cref="VmDescription"/> has no place for, in their raw CIM types.</summary>
/// <param name="EnabledState">Msvm_ComputerSystem.EnabledState as read.</param>
/// <param name="AdapterId">Its GPU partition adapter's InstanceID; null without an adapter.</param>
/// <param name="AdapterValues">The adapter's twelve uint64 values that were not NULL.</param>
/// <param name="HostResource">The adapter's HostResource[0] (the requested GPU's object path), if any.</param>
/// <param name="PartitionId">Msvm_GpuPartition.PartitionId; null when no partition was realized for the adapter.</param>
/// <param name="ResourceName">Its MSCluster_Resource Name (usually "Virtual Machine &lt;name&gt;"); null when not clustered.</param>
public sealed record VmCapture(
    ushort EnabledState,
    string? AdapterId,
    IReadOnlyDictionary<string, ulong>? AdapterValues,
    string? HostResource,
    int? PartitionId,
    string? PartitionVfLuid,
    bool GuestControlledCacheTypes,
    ulong LowMmioGapSize,
    ulong HighMmioGapSize,
    string? ResourceName,
    string? OwnerGroup);
