namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>PUT /api/clusters/{cluster}/partition-count</c>.</summary>
/// <param name="PartitionCount">One of the GPU model's valid counts (the control plane checks which).</param>
/// <param name="Gpus">A subset of the cluster's GPUs to change; all of them when omitted (a subset is a warning).</param>
public sealed record PartitionCountChange(int PartitionCount, IReadOnlyList<string>? Gpus = null);
