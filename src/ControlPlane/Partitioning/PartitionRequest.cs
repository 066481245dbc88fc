using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Queueing;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A stored partition request and where it is in its lifecycle.</summary>
/// <param name="Node">The node that executes it; empty when it was rejected before a node was known.</param>
/// <param name="CommandId">The message id of the command sent; null when nothing was sent.</param>
/// <param name="Warnings">Accepted in spite of these.</param>
/// <param name="Steps">Per-step detail the host reported.</param>
/// <param name="Error">Why it was rejected, failed or timed out.</param>
/// <param name="OfflineAction">The OfflineAction the command ensures on the VM's cluster resource.</param>
/// <param name="TraceId">The W3C trace the request was submitted in (API call, command, agent steps, result); null when nothing traced it.</param>
/// <param name="Queue">The terms it waits for capacity on (its own or the policy's); null when it never asked to wait.</param>
/// <param name="QueuedUntil">While Queued: when it expires.</param>
/// <param name="PowerAfter">While Queued or waiting for its VM to move: the power state its command will ask for, when not
/// the default (restore). Kept on a placement's assignment that timed out with its move, for the assignment the VM gets
/// if the move still finishes (<see cref="LateMoveAdmission"/>).</param>
/// <param name="AdmittedAt">When a request that waited in the queue was admitted (its time limit counts from then); null: admitted when created.</param>
/// <param name="Placement">The move that gives the VM its partition on another node (both the Move and the Assign it is for carry it); null when nothing moves. On a Queued request: the placement an instance has claimed it for and is carrying out.</param>
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
    string? TraceId = null,
    QueueTerms? Queue = null,
    DateTimeOffset? QueuedUntil = null,
    PowerAfterChange? PowerAfter = null,
    VmMove? Placement = null,
    DateTimeOffset? AdmittedAt = null)
{
    public bool IsTerminal => Status >= RequestStatus.Succeeded;

    /// <summary>An assignment admitted on the node its VM is moving to, whose command waits for the move to succeed.</summary>
    public bool WaitsForMove => Action == PartitionAction.Assign && Placement is not null && CommandId is null && !IsTerminal && Status != RequestStatus.Queued;

    /// <summary>A queued request claimed by an instance placing it on <see cref="VmMove.ToNode"/> (see <see cref="Queueing.QueuePlacer"/>).</summary>
    public bool IsBeingPlaced => Status == RequestStatus.Queued && Placement is not null;
}
