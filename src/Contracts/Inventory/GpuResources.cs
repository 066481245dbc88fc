namespace GpuAutomation.Contracts.Inventory;

/// <summary>The four resources Hyper-V divides between the partitions of a GPU.</summary>
public sealed record GpuResources(
    PartitionResource Vram,
    PartitionResource Encode,
    PartitionResource Decode,
    PartitionResource Compute);
