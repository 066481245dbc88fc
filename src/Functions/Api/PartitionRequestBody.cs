namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>POST /api/partition-requests</c>: assign a GPU partition to a VM, or remove it.</summary>
/// <param name="Node">Optional: the node the caller believes the VM is on (checked, not trusted).</param>
/// <param name="Gpu">Optional: the GPU to take the partition from; otherwise Hyper-V picks on the VM's node.</param>
public sealed record PartitionRequestBody(string Cluster, string Vm, PartitionActionBody Action, string? Node = null, string? Gpu = null);
