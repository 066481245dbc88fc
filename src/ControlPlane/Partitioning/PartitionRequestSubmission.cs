using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>What a caller asks for; validated against stored inventory before anything is stored as Accepted.</summary>
/// <param name="Node">Assign/unassign: optional (the VM's node is found); ConfigurePartitionCount: required.</param>
/// <param name="VmId">Resolves VMs that share a name.</param>
/// <param name="GpuInstancePaths">ConfigurePartitionCount: the GPUs to change (empty: every partitionable GPU of the node);
/// Assign: at most one, the GPU to take the partition from.</param>
/// <param name="RequestedBy">Who asked: a user principal, "event-grid", a host name, "compliance".</param>
/// <param name="IdempotencyKey">The same key returns the request first created with it.</param>
/// <param name="PartOfRollout">A step of a rolling count change: nodes differ in partition count until it ends, so an
/// assign isn't refused for that (it still is for GPUs of another model or size).</param>
public sealed record PartitionRequestSubmission(
    PartitionAction Action,
    string Cluster,
    string? Node = null,
    string? VmName = null,
    Guid? VmId = null,
    int? PartitionCount = null,
    IReadOnlyList<string>? GpuInstancePaths = null,
    RequestOrigin Origin = RequestOrigin.Api,
    string RequestedBy = "unknown",
    string? IdempotencyKey = null,
    PowerAfterChange PowerAfter = PowerAfterChange.RestorePrevious,
    OfflineAction OfflineAction = OfflineAction.ForceShutdown,
    bool PartOfRollout = false)
{
    public static PartitionRequestSubmission Assign(string cluster, string vmName, Guid? vmId = null, RequestOrigin origin = RequestOrigin.Api, string requestedBy = "unknown", string? idempotencyKey = null)
        => new(PartitionAction.Assign, cluster, VmName: vmName, VmId: vmId, Origin: origin, RequestedBy: requestedBy, IdempotencyKey: idempotencyKey);

    public static PartitionRequestSubmission Unassign(string cluster, string vmName, Guid? vmId = null, RequestOrigin origin = RequestOrigin.Api, string requestedBy = "unknown", string? idempotencyKey = null)
        => new(PartitionAction.Unassign, cluster, VmName: vmName, VmId: vmId, Origin: origin, RequestedBy: requestedBy, IdempotencyKey: idempotencyKey);

    public static PartitionRequestSubmission SetOfflineAction(string cluster, string vmName, OfflineAction offlineAction, Guid? vmId = null, RequestOrigin origin = RequestOrigin.Api, string requestedBy = "unknown", string? idempotencyKey = null)
        => new(PartitionAction.SetOfflineAction, cluster, VmName: vmName, VmId: vmId, Origin: origin, RequestedBy: requestedBy, IdempotencyKey: idempotencyKey, OfflineAction: offlineAction);

    public static PartitionRequestSubmission ConfigureCount(string cluster, string node, int partitionCount, IReadOnlyList<string>? gpuInstancePaths = null, RequestOrigin origin = RequestOrigin.Api, string requestedBy = "unknown", string? idempotencyKey = null)
        => new(PartitionAction.ConfigurePartitionCount, cluster, node, PartitionCount: partitionCount, GpuInstancePaths: gpuInstancePaths, Origin: origin, RequestedBy: requestedBy, IdempotencyKey: idempotencyKey);
}
