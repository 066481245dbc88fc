using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A stored partition request and where it is in its lifecycle.</summary>
/// <param name="Node">The node that executes it; empty when it was rejected before a node was known.</param>
/// <param name="CommandId">The message id of the command sent; null when nothing was sent.</param>
/// <param name="Warnings">Accepted in spite of these.</param>
/// <param name="Steps">Per-step detail the host reported.</param>
/// <param name="Error">Why it was rejected, failed or timed out.</param>
/// <param name="OfflineAction">The OfflineAction the command ensures on the VM's cluster resource.</param>
/// <param name="TraceId">The W3C trace the request was submitted in (API call, command, agent steps, result); null when nothing traced it.</param>
public sealed record PartitionRequest(
    string Id,
    string? IdempotencyKey,
    string Cluster,
    string Node,
    PartitionAction Action,
    string? VmName,
    Guid? VmId,
    int? PartitionCount,
    IReadOnlyList<string> GpuInstancePaths,
    RequestOrigin Origin,
    string RequestedBy,
    RequestStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    string? CommandId,
    IReadOnlyList<RequestNotice> Warnings,
    IReadOnlyList<StepRecord> Steps,
    RequestNotice? Error,
    OfflineAction? OfflineAction = null,
    string? TraceId = null)
{
    public bool IsTerminal => Status >= RequestStatus.Succeeded;
}
