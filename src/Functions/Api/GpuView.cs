namespace GpuAutomation.Functions.Api;

/// <summary>A physical GPU with its Windows Admin Center status and the partitions VMs hold.</summary>
/// <param name="AssignedStatus">ReadyForDda, Partitioned, Paravirtualization or NotAssignable.</param>
/// <param name="DriverVersion">The host driver's version (Win32_PnPSignedDriver.DriverVersion); null when the agent didn't report it.</param>
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
    IReadOnlyList<GpuPartitionView> Partitions,
    string? DriverVersion = null);
