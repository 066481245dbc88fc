using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>
/// A placement whose move finished only after the placement had timed out: the host reports the move Succeeded, so
/// the VM now runs on the target node, but its assignment already ended TimedOut and gave the partition back. The VM
/// gets a fresh assignment there through the same <see cref="RequestAdmission"/> as any request (ledger, reserve),
/// under idempotency key <c>late-move:{move id}</c>, so a redelivered result or two instances admit it once. The
/// timed-out requests stay as they ended: both carry the link (<see cref="VmMove.LateAssignRequestId"/>) or, when
/// admission refused, why the VM is on the target without a partition (<see cref="VmMove.WithoutPartition"/>).
/// </summary>
public sealed partial class LateMoveAdmission(
    RequestStore requests,
    RequestIndex index,
    RequestAdmission admission,
    InventoryStore inventory,
    PolicyStore policies,
    DispatchQueue dispatches,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<LateMoveAdmission> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <summary>The idempotency key of the assignment a late move gets: one per move, whichever instance asks.</summary>
    public static string KeyOf(string moveRequestId) => "late-move:" + moveRequestId;

    /// <summary>Admits the assignment of a VM whose move (<paramref name="move"/>, Succeeded) finished after <paramref name="ended"/>, its assignment, had ended without a command.</summary>
    /// <param name="how">How the host moved it, as the placement shows it.</param>
    public async Task AdmitAsync(PartitionRequest move, PartitionRequest ended, string how, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        ArgumentNullException.ThrowIfNull(ended);
        var placement = move.Placement!;
        var key = KeyOf(move.Id);
        var now = time.GetUtcNow();
        var id = ids.NewId();
        var powerAfter = ended.PowerAfter ?? PowerAfterChange.RestorePrevious;
        var fingerprint = SubmissionFingerprint.Of(new PartitionRequestSubmission(
            PartitionAction.Assign,
            move.Cluster,
            placement.ToNode,
            ended.VmName,
            ended.VmId,
            GpuInstancePaths: ended.GpuInstancePaths,
            Origin: ended.Origin,
            RequestedBy: ended.RequestedBy,
            IdempotencyKey: key,
            PowerAfter: powerAfter,
            OfflineAction: ended.OfflineAction ?? OfflineAction.ForceShutdown));
        if (await requests.ClaimIdempotencyKeyAsync(key, move.Cluster, id, fingerprint, now, _options.IdempotencyClaimTimeout, cancellationToken) is { } holder)
        {
            // Admitted before (a redelivered result, another instance): make sure the link is there. Not written yet:
            // the instance that claimed it links it once written (or, if it stopped, a later delivery takes the key over).
            if (await requests.GetAsync(holder.RequestId, cancellationToken) is { } existing)
            {
                await LinkAsync(move, ended, how, existing.Request.Id, null, cancellationToken);
            }

            return;
        }

        var linked = placement with { Moved = how, LateAssignRequestId = id, WithoutPartition = null };
        var fresh = new PartitionRequest(
            id,
            key,
            move.Cluster,
            placement.ToNode,
            PartitionAction.Assign,
            ended.VmName,
            ended.VmId,
            null,
            ended.GpuInstancePaths,
            ended.Origin,
            ended.RequestedBy,
            RequestStatus.Accepted,
            now,
            now,
            null,
            null,
            [],
            [],
            null,
            ended.OfflineAction,
            ended.TraceId,
            Placement: linked);

        // Validation against inventory happened when the placement was admitted (the VM, the target's GPUs); the
        // stored inventory may not show the VM on the target yet (the target's agent reports it on its next snapshot),
        // so it isn't asked again here. Capacity is asked fresh, as for any request; the agent checks the VM's state
        // before it acts (every step is "ensure").
        var cluster = await inventory.GetClusterAsync(move.Cluster, cancellationToken);
        var policy = await policies.GetEffectiveAsync(move.Cluster, cancellationToken);
        var admitted = cluster.FindNode(placement.ToNode) is null
            ? new AdmissionResult(null, null, new RequestNotice(RequestCodes.UnknownNode, $"Node {placement.ToNode} has no stored inventory."))
            : await admission.AdmitAsync(
                fresh,
                cluster,
                policy,
                powerAfter,
                async (withCommand, ledger, outbox) => await requests.CreateAsync(withCommand, ledger, outbox, cancellationToken),
                cancellationToken);
        if (admitted.Refusal is { } refusal)
        {
            // Nothing was written under the key: a later delivery of the result may try again (capacity may have freed).
            await index.ReleaseAsync(key, id, cancellationToken);
            var without = new RequestNotice(
                RequestCodes.MovedWithoutPartition,
                $"VM '{move.VmName}' finished moving from {placement.FromNode} to {placement.ToNode} after its placement had timed out, so it now runs on {placement.ToNode} without a GPU partition: no partition could be admitted for it there ({refusal.Code}: {refusal.Message}). Submit an assign for it once {placement.ToNode} has a free partition, or move it.");
            await LinkAsync(move, ended, how, null, without, cancellationToken);
            LogWithoutPartition(logger, move.Id, move.VmName, placement.ToNode, refusal.Code, refusal.Message);
            return;
        }

        if (admitted.Stored is { } stored)
        {
            ControlPlaneTelemetry.Admitted(null, stored.Request, existing: false);
            await LinkAsync(move, ended, how, stored.Request.Id, null, cancellationToken);
            LogAdmitted(logger, move.Id, move.VmName, placement.ToNode, stored.Request.Id, stored.Request.CommandId);
            dispatches.Enqueue(new PendingDispatch(admitted.Outbox!, stored));
        }
    }

    /// <summary>Notes on the move and on the assignment that ended what became of the late move; both keep their status.</summary>
    private async Task LinkAsync(PartitionRequest move, PartitionRequest ended, string how, string? lateAssignRequestId, RequestNotice? withoutPartition, CancellationToken cancellationToken)
    {
        foreach (var (node, requestId) in new[] { (move.Node, move.Id), (ended.Node, ended.Id) })
        {
            await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Linking the late move {move.Id} on request {requestId}", async () =>
            {
                var stored = await requests.GetAsync(move.Cluster, node, requestId, cancellationToken);
                if (stored?.Request.Placement is not { } current)
                {
                    return false;
                }

                var noted = current with { Moved = how, LateAssignRequestId = lateAssignRequestId, WithoutPartition = withoutPartition };
                if (noted == current)
                {
                    return false;
                }

                await requests.UpdateAsync(stored, stored.Request with { Placement = noted, UpdatedAt = time.GetUtcNow() }, null, null, null, cancellationToken);
                return true;
            });
        }
    }

    [LoggerMessage(EventId = 3132, Level = LogLevel.Information, Message = "Move {MoveRequestId}: VM {VmName} reached {ToNode} after its placement timed out; admitted its assignment there as request {RequestId}, command {CommandId}")]
    private static partial void LogAdmitted(ILogger logger, string moveRequestId, string? vmName, string toNode, string requestId, string? commandId);

    [LoggerMessage(EventId = 3133, Level = LogLevel.Warning, Message = "Move {MoveRequestId}: VM {VmName} reached {ToNode} after its placement timed out and runs there without a GPU partition: {Code} {Reason}")]
    private static partial void LogWithoutPartition(ILogger logger, string moveRequestId, string? vmName, string toNode, string code, string reason);
}
