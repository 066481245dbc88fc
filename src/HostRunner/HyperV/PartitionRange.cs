namespace GpuAutomation.HostRunner.HyperV;

public sealed record PartitionRange(ulong Min, ulong Max, ulong Optimal);
