namespace GpuAutomation.Functions.Api;

/// <summary>A VM's GPU partition adapter; GPU and partition are known once Hyper-V realized the partition.</summary>
public sealed record VmPartitionView(string AdapterId, string? GpuInstancePath, int? PartitionId);
