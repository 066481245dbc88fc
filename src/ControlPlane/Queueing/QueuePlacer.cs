using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>
/// Places a queued assignment on another node when capacity frees there and its own node still has none, as
/// <see cref="VmPlacer"/> does for a new request: its assignment is admitted on the target (same
/// <see cref="RequestAdmission"/>: ledger and reserve) holding the partition, and a Move request on the VM's node
/// sends the VM there; <see cref="PlacementContinuation"/> does the rest. The request keeps its id: once placed, the id
/// finds the assignment on the target, carrying the placement (as a placement at submission does).
/// <para>
/// The queued row lives in the VM's node's partition and the assignment in the target's, so no one batch holds both.
/// Three steps, each a conditional write: (1) claim — the queued row, still Queued, gets the placement it is being
/// given (<see cref="PartitionRequest.IsBeingPlaced"/>), conditional on its ETag; (2) the tentative assignment on the
/// target, with the target's ledger, not indexed; (3) commit — one batch in the VM's node's partition deletes the
/// queued row (conditional on the claim's ETag) and writes the Move request with its reservation and outbox row; then
/// the id is indexed to the target.
/// </para>
/// <para>
/// Why it is safe. Never admitted twice: every way out of the queue — admission in place, cancel, expiry, rejection,
/// a claim, a claim's rollback, this commit — is a write conditional on the queued row's ETag, so only one of them
/// follows any version, and the commit follows only the claim it made: the move exists exactly when the queued row was
/// consumed by that claim (same batch), never after the request was admitted, ended or its claim rolled back. Never past
/// capacity or the reserve: the target's partition is held by the tentative assignment, admitted by
/// <see cref="RequestAdmission"/> before the commit; an uncommitted one only holds a partition back (conservative) until
/// it is discarded (row and reservation in one batch) by its claimer when the commit can't happen, by
/// <see cref="SettleAsync"/> for a claim older than the outbox grace period (a stopped instance's), after fencing it, or
/// by whoever ends the request while claimed; a claimer that stalled past that and then stopped leaves one that
/// <see cref="PlacementContinuation.SweepAsync"/> fails as a placement whose move was never written. The sweep reads the
/// claim before the move, so it never ends an assignment whose claim may still commit. Order: the backfill walks the
/// queue by priority and age and places as it admits, so a placement takes freed capacity in queue order. The id:
/// the index finds the queued row until the commit and the assignment after; if the instance stops in between,
/// <see cref="RequestStore.GetAsync(string, CancellationToken)"/> finds the assignment in the cluster and fixes the index.
/// </para>
/// </summary>
public sealed partial class QueuePlacer(
    RequestStore requests,
    RequestQueue queue,
    RequestAdmission admission,
    RequestCommands commands,
    DispatchQueue dispatches,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<QueuePlacer> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <summary>Whether <see cref="PlaceAsync"/> may move the VM of <paramref name="request"/> at all.</summary>
    public static bool MayPlace(PartitionRequest request, ProvisioningPolicy policy)
        => request.Action == PartitionAction.Assign && request.GpuInstancePaths.Count == 0 && policy.Moves != MovePolicy.Never;

    /// <summary>
    /// Places queued request <paramref name="stored"/>, refused on its own node for <paramref name="refusal"/>, on the
    /// best node the policy lets its VM move to that admits it.
    /// </summary>
    /// <param name="warnings">The request's warnings from its validation against <paramref name="cluster"/>.</param>
    /// <returns>Admitted with the assignment on the target; Waiting with why nothing took it; Gone when it left the queue meanwhile.</returns>
    public async Task<QueueAdmission> PlaceAsync(
        StoredRequest stored,
        ClusterInventory cluster,
        ProvisioningPolicy policy,
        IReadOnlyList<RequestNotice> warnings,
        RequestNotice refusal,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(refusal);
        var queued = stored.Request;
        var from = cluster.FindNode(queued.Node);
        var vm = from?.Vms.FirstOrDefault(v => v.Id == queued.VmId);
        if (from is null || vm is null || queued.IsBeingPlaced || !MayPlace(queued, policy))
        {
            return new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, refusal);
        }

        var ledgers = new Dictionary<string, NodeLedger>(StringComparer.OrdinalIgnoreCase);
        foreach (var (node, ledger) in await Task.WhenAll(cluster.Nodes.Select(async n => (n, await requests.GetLedgerAsync(queued.Cluster, n.Node, cancellationToken)))))
        {
            ledgers[node.Node] = ledger?.Ledger ?? NodeLedger.FromInventory(queued.Cluster, node);
        }

        var choice = PlacementChooser.Choose(cluster, from, vm, ledgers, policy, time.GetUtcNow(), _options.InventoryMaxAge);
        if (choice.Candidates.Count == 0)
        {
            return new QueueAdmission(
                QueueAdmissionOutcome.Waiting,
                queued,
                refusal with { Message = $"{refusal.Message} Not moved to another node: {choice.WhyNone}." },
                NothingFree: ledgers.Values.All(l => l.AvailablePartitions == 0));
        }

        // The assignment starts the VM when it ran before: a move that had to shut it down leaves it off for that.
        var powerAfter = queued.PowerAfter ?? PowerAfterChange.RestorePrevious;
        var assignPowerAfter = powerAfter == PowerAfterChange.RestorePrevious && vm.PowerState == VmPowerState.Running ? PowerAfterChange.Start : powerAfter;
        var moveId = ids.NewId();
        var claimed = stored;
        var refusals = new List<string>();
        foreach (var candidate in choice.Candidates)
        {
            var now = time.GetUtcNow();
            var placement = new VmMove(from.Node, candidate.Node, candidate.Mode, candidate.Reason, moveId, queued.Id);
            try
            {
                claimed = await requests.ReplaceAsync(claimed, claimed.Request with { Placement = placement, UpdatedAt = now }, cancellationToken);
            }
            catch (StoreException ex) when (ex.IsConflict)
            {
                // Admitted, ended or claimed by another instance since it was read; nothing of this attempt was written.
                return await LostAsync(queued, cancellationToken);
            }

            var assign = queued with
            {
                Node = candidate.Node,
                Status = RequestStatus.Accepted,
                UpdatedAt = now,
                AdmittedAt = now,
                QueuedUntil = null,
                Warnings = [.. warnings],
                Placement = placement,
                PowerAfter = assignPowerAfter == PowerAfterChange.RestorePrevious ? null : assignPowerAfter,
            };
            var admitted = await admission.AdmitAsync(
                assign,
                cluster,
                policy,
                assignPowerAfter,
                async (held, ledger, _) => await WriteTentativeAsync(held, ledger, cancellationToken),
                cancellationToken,
                waitForMove: true);
            if (admitted.Refusal is { } refused)
            {
                refusals.Add($"{candidate.Node}: {refused.Message}");
                continue;
            }

            if (admitted.Stored is not { } tentative)
            {
                refusals.Add($"{candidate.Node}: request {queued.Id} still has an assignment there from an earlier attempt");
                continue;
            }

            var (move, outbox, moveRefused) = await CommitAsync(claimed, tentative, from, cancellationToken);
            if (move is null)
            {
                await DiscardAsync(tentative.Request, cancellationToken);
                if (moveRefused is null)
                {
                    return await LostAsync(queued, cancellationToken);
                }

                await UnclaimAsync(claimed, cancellationToken);
                return new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, moveRefused with { Message = $"Not placed on {candidate.Node}: the move of VM '{queued.VmName}' from {from.Node} was refused ({moveRefused.Message})." });
            }

            await queue.RemoveAsync(QueueEntry.Of(queued), cancellationToken);
            ControlPlaneTelemetry.Admitted(null, move.Request, existing: false);
            LogPlaced(logger, queued.Id, queued.VmName, from.Node, candidate.Node, candidate.Mode, move.Request.Id, now - queued.CreatedAt);
            dispatches.Enqueue(new PendingDispatch(outbox!, move));
            return new QueueAdmission(QueueAdmissionOutcome.Admitted, tentative.Request, null);
        }

        await UnclaimAsync(claimed, cancellationToken);
        return new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, refusal with { Message = $"{refusal.Message} No other node could take it either: {string.Join("; ", refusals)}." });
    }

    /// <summary>
    /// Rolls back a claim older than the outbox grace period (its instance stopped, or stalled that long): the queued
    /// row loses the claim, conditional on the claim's ETag — from then on the claim's commit can't succeed — and the
    /// tentative assignment, if one was written, is discarded with its reservation.
    /// </summary>
    /// <returns>The request queued again without the claim; null when the claim is younger than the grace period or the row changed meanwhile.</returns>
    public async Task<StoredRequest?> SettleAsync(StoredRequest claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        var now = time.GetUtcNow();
        if (!claimed.Request.IsBeingPlaced || now - claimed.Request.UpdatedAt <= _options.OutboxGracePeriod)
        {
            return null;
        }

        var placement = claimed.Request.Placement!;
        StoredRequest released;
        try
        {
            released = await requests.ReplaceAsync(claimed, claimed.Request with { Placement = null, UpdatedAt = now }, cancellationToken);
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            return null;
        }

        await DiscardAsync(claimed.Request with { Node = placement.ToNode }, cancellationToken);
        LogSettled(logger, claimed.Request.Id, placement.ToNode, placement.MoveRequestId, now - claimed.Request.UpdatedAt);
        return released;
    }

    /// <summary>
    /// Discards what a claim of <paramref name="request"/> may have written on its target, once that claim can no
    /// longer commit (the request ended or was admitted in place while claimed): the caller has already replaced the
    /// claimed row.
    /// </summary>
    public Task ReleaseClaimAsync(PartitionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.IsBeingPlaced ? DiscardAsync(request with { Node = request.Placement!.ToNode }, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>The tentative assignment, unless a row of the request is already on that node and still in use (then null: the candidate is passed over).</summary>
    private async Task<StoredRequest?> WriteTentativeAsync(PartitionRequest held, StoredLedger ledger, CancellationToken cancellationToken)
    {
        var existing = await requests.GetAsync(held.Cluster, held.Node, held.Id, cancellationToken);
        if (existing is not null && !existing.Request.IsTerminal)
        {
            return null;
        }

        // A terminal row there is an earlier attempt's, failed by the placement sweep after its claimer stopped: it holds nothing.
        return await requests.WriteTentativeAsync(held, ledger, existing, cancellationToken);
    }

    /// <summary>The commit batch; a refusal of the move on the VM's node; or nothing (both null) when the claim was lost.</summary>
    private async Task<(StoredRequest? Move, OutboxEntry? Outbox, RequestNotice? Refusal)> CommitAsync(StoredRequest claimed, StoredRequest tentative, NodeInventory from, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var move = VmPlacer.MoveRequest(tentative.Request, tentative.Request.Placement!, now);
        return await OptimisticRetry.RunAsync<(StoredRequest?, OutboxEntry?, RequestNotice?)>(_options.MaxConcurrencyAttempts, $"Committing the placement of queued request {claimed.Request.Id}", async () =>
        {
            var ledger = await requests.GetLedgerAsync(move.Cluster, move.Node, cancellationToken) ?? new StoredLedger(NodeLedger.FromInventory(move.Cluster, from), null);
            if (ledger.Ledger.Admit(move) is { } notice)
            {
                return (null, null, notice);
            }

            var (withCommand, outbox) = commands.WithCommand(move, PowerAfterChange.LeaveOff, now);
            try
            {
                var stored = await requests.CommitQueuedPlacementAsync(claimed, withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, outbox, tentative.Request.Node, cancellationToken);
                return (stored, outbox, null);
            }
            catch (StoreException ex) when (ex.IsConflict)
            {
                var current = await requests.GetAsync(claimed.Request.Cluster, claimed.Request.Node, claimed.Request.Id, cancellationToken);
                if (current is null || current.ETag != claimed.ETag)
                {
                    return (null, null, null);
                }

                throw; // The ledger changed: again on a fresh read, with the claim still ours.
            }
        });
    }

    /// <summary>
    /// Deletes the tentative assignment of a claim that can't commit any more, with its reservation, in one batch. Only
    /// an assignment still waiting for that claim's move, and only while the move doesn't exist: a commit whose answer
    /// was lost may have written it, and then the placement stands.
    /// </summary>
    private async Task DiscardAsync(PartitionRequest tentative, CancellationToken cancellationToken)
    {
        var placement = tentative.Placement!;
        await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Discarding the uncommitted placement of request {tentative.Id}", async () =>
        {
            var current = await requests.GetAsync(tentative.Cluster, placement.ToNode, tentative.Id, cancellationToken);
            if (current is null || !current.Request.WaitsForMove || current.Request.Placement!.MoveRequestId != placement.MoveRequestId
                || await requests.GetAsync(tentative.Cluster, placement.FromNode, placement.MoveRequestId, cancellationToken) is not null)
            {
                return false;
            }

            var ledger = await requests.GetLedgerAsync(tentative.Cluster, placement.ToNode, cancellationToken);
            await requests.DiscardAsync(current, ledger, ledger?.Ledger.Release(tentative.Id, changeApplied: false, time.GetUtcNow()), cancellationToken);
            return true;
        });
    }

    private async Task UnclaimAsync(StoredRequest claimed, CancellationToken cancellationToken)
    {
        try
        {
            await requests.ReplaceAsync(claimed, claimed.Request with { Placement = null, UpdatedAt = time.GetUtcNow() }, cancellationToken);
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            // Changed by another writer (ended, or a stale claim settled): the claim is gone either way.
        }
    }

    /// <summary>What became of a request whose claim this instance lost: still waiting (claimed by another instance, or its claim rolled back) or gone from the queue.</summary>
    private async Task<QueueAdmission> LostAsync(PartitionRequest queued, CancellationToken cancellationToken)
    {
        var current = await requests.GetAsync(queued.Cluster, queued.Node, queued.Id, cancellationToken);
        return current?.Request.Status == RequestStatus.Queued
            ? new QueueAdmission(QueueAdmissionOutcome.Waiting, current.Request, null)
            : new QueueAdmission(QueueAdmissionOutcome.Gone, current?.Request ?? queued, null);
    }

    [LoggerMessage(EventId = 3121, Level = LogLevel.Information, Message = "Placed queued request {RequestId}: VM {VmName} moves from {FromNode} to {ToNode} ({Mode}) by move {MoveRequestId}, then gets its partition there, after waiting {Waited}")]
    private static partial void LogPlaced(ILogger logger, string requestId, string? vmName, string fromNode, string toNode, MoveMode mode, string moveRequestId, TimeSpan waited);

    [LoggerMessage(EventId = 3122, Level = LogLevel.Warning, Message = "Rolled back the placement claim of queued request {RequestId} on {ToNode} (move {MoveRequestId}), left unfinished for {Age}; it is queued again")]
    private static partial void LogSettled(ILogger logger, string requestId, string toNode, string moveRequestId, TimeSpan age);
}
