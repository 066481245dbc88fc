namespace GpuAutomation.Functions.Api;

/// <summary>A physical GPU with its Windows Admin Center status and the partitions VMs hold.</summary>
/// <param name="AssignedStatus">ReadyForDda, Partitioned, Paravirtualization or NotAssignable.</param>
public sealed record GpuView(
    string InstancePath,
    string Vendor,
    string Model,
    long? MemoryMiB,
    string PnpStatus,
    int PnpErrorCode,
    string AssignedStatus,
    IReadOnlyList<int> ValidPartitionCounts,
    int PartitionCount,
    int FreePartitions,
    IReadOnlyList<GpuPartitionView> Partitions);
