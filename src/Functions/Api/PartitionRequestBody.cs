namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>POST /api/partition-requests</c>: assign a GPU partition to a VM, or remove it.</summary>
/// <param name="Node">Optional: the node the caller believes the VM is on (checked, not trusted).</param>
/// <param name="Gpu">Optional: the GPU to take the partition from; otherwise Hyper-V picks on the VM's node.</param>
/// <param name="Queue">
/// Optional, assign only: wait up to maxWaitMinutes for capacity instead of being refused with no-free-partition or
/// headroom-reserved; the answer is then 202 with status Queued and its queuePosition. Omitted: the cluster policy's
/// <c>queue</c>, if it has one.
/// </param>
public sealed record PartitionRequestBody(string Cluster, string Vm, PartitionActionBody Action, string? Node = null, string? Gpu = null, QueueTermsBody? Queue = null);
