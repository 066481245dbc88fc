namespace GpuAutomation.Functions.Api;

/// <summary>A partition of a GPU and the VM holding it.</summary>
public sealed record GpuPartitionView(int PartitionId, string VmName, Guid VmId);
