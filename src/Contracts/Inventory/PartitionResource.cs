namespace GpuAutomation.Contracts.Inventory;

/// <summary>
/// One resource of a partitionable GPU (VRAM, encode, decode or compute) in Hyper-V's relative units, not bytes.
/// Encode can reach UInt64.MaxValue, so every value is unsigned 64-bit.
/// </summary>
public sealed record PartitionResource(
    ulong Total,
    ulong Available,
    ulong MinPartition,
    ulong MaxPartition,
    ulong OptimalPartition);
