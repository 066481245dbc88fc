using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Submits partition requests (assign, unassign, partition count change) and reads them back. A submission is
/// validated against stored inventory, then either stored as Rejected (nothing sent) or stored as Accepted together
/// with its capacity reservation and outbox row in one batch and handed to the <see cref="DispatchQueue"/>: the
/// answer is the Accepted request, and the relay publishes its command and marks it Dispatched right after.
/// Admission itself (ledger, failover reserve) is <see cref="RequestAdmission"/>'s. An assignment refused for capacity
/// on its VM's node is placed on another node when the cluster policy allows moves (<see cref="VmPlacer"/>); one still
/// refused that asked to wait is stored Queued instead, and <see cref="QueueBackfill"/> admits it through
/// <see cref="AdmitQueuedAsync"/> — the same admission — when capacity frees.
/// </summary>
public sealed partial class PartitionRequestService(
    InventoryStore inventory,
    RequestStore requests,
    RequestIndex index,
    PolicyStore policies,
    RequestQueue queue,
    DispatchQueue dispatches,
    RequestAdmission admissions,
    RequestCommands commands,
    VmPlacer placer,
    QueuePlacer queuePlacer,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<PartitionRequestService> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    public async Task<SubmitOutcome> SubmitAsync(PartitionRequestSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        using var activity = ControlPlaneTelemetry.StartAdmission("partition-request submit", submission.Action, submission.Origin, submission.Cluster);
        try
        {
            var outcome = await SubmitCoreAsync(submission, cancellationToken);
            ControlPlaneTelemetry.Admitted(activity, outcome.Request, outcome.IsExisting);
            return outcome;
        }
        catch (Exception ex)
        {
            ControlPlaneTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async Task<SubmitOutcome> SubmitCoreAsync(PartitionRequestSubmission submission, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = ids.NewId();
        var fingerprint = SubmissionFingerprint.Of(submission);
        // Claiming the idempotency key and reading the inventory don't depend on each other: both go at once.
        var claim = submission.IdempotencyKey is { Length: > 0 } key
            ? requests.ClaimIdempotencyKeyAsync(key, submission.Cluster, id, fingerprint, now, _options.IdempotencyClaimTimeout, cancellationToken)
            : Task.FromResult<IdempotencyClaim?>(null);
        var inventoryRead = ResourceNames.IsValidHostName(submission.Cluster)
            ? inventory.GetClusterAsync(submission.Cluster, cancellationToken)
            : Task.FromResult(new ClusterInventory(submission.Cluster, []));
        var policyRead = submission.Action == PartitionAction.Assign && ResourceNames.IsValidHostName(submission.Cluster)
            ? policies.GetEffectiveAsync(submission.Cluster, cancellationToken)
            : Task.FromResult(ProvisioningPolicy.Default);
        await Task.WhenAll(claim, inventoryRead, policyRead);
        if (await claim is { } holder)
        {
            ThrowIfReused(holder, fingerprint, submission.IdempotencyKey!);
            var existing = await requests.GetAsync(holder.RequestId, cancellationToken)
                ?? throw new ControlPlaneException(RequestCodes.IdempotencyKeyInFlight, $"Request {holder.RequestId} with idempotency key '{submission.IdempotencyKey}' is still being written; retry shortly.", isRetryable: true);
            return new SubmitOutcome(existing.Request, IsExisting: true, await PositionOfAsync(existing.Request, cancellationToken));
        }

        var clusterInventory = await inventoryRead;
        var policy = await policyRead;
        var validation = PartitionRequestValidator.Validate(submission, clusterInventory, now, _options.InventoryMaxAge);
        var request = NewRequest(id, submission, validation, now);
        var terms = submission.Action == PartitionAction.Assign ? submission.Queue ?? policy.Queue : null;
        if (submission.Queue?.Problems("queue") is { Count: > 0 } queueProblems)
        {
            return await RejectAsync(request, new RequestNotice(RequestCodes.InvalidQueue, string.Join(" ", queueProblems)), cancellationToken);
        }

        if (validation.Rejection is { } rejection)
        {
            return terms is not null && rejection.Code == RequestCodes.NoFreePartition && request.Node.Length > 0
                ? await EnqueueAsync(request, terms, submission.PowerAfter, rejection, cancellationToken)
                : await RejectAsync(request, rejection, cancellationToken);
        }

        var admission = await admissions.AdmitAsync(
            request,
            clusterInventory,
            policy,
            submission.PowerAfter,
            async (withCommand, ledger, outbox) => await requests.CreateAsync(withCommand, ledger, outbox, cancellationToken),
            cancellationToken);
        if (admission.Refusal is { } refusal)
        {
            if (refusal.Code == RequestCodes.NoFreePartition && submission.GpuInstancePaths is not { Count: > 0 })
            {
                var placement = await placer.PlaceAsync(request, clusterInventory, policy, submission.PowerAfter, refusal, cancellationToken);
                if (placement.Request is { } placed)
                {
                    return new SubmitOutcome(placed, IsExisting: false);
                }

                refusal = placement.Refusal;
            }

            return terms is not null && WaitsFor(refusal.Code)
                ? await EnqueueAsync(request, terms, submission.PowerAfter, refusal, cancellationToken)
                : await RejectAsync(request, refusal, cancellationToken);
        }

        var accepted = admission.Stored!;
        LogAccepted(logger, accepted.Request.Id, accepted.Request.Action, accepted.Request.Cluster, accepted.Request.Node, accepted.Request.VmName, accepted.Request.CommandId);
        dispatches.Enqueue(new PendingDispatch(admission.Outbox!, accepted));
        return new SubmitOutcome(accepted.Request, IsExisting: false);
    }

    /// <summary>Refusals that capacity freeing up can turn into an admission: the ones a queued request waits out.</summary>
    public static bool WaitsFor(string code) => code is RequestCodes.NoFreePartition or RequestCodes.HeadroomReserved;

    /// <summary>
    /// Admits a queued request exactly as a fresh one (validated against the current inventory, then the node's
    /// ledger and the cluster's reserve), writing it Accepted with its reservation and outbox row in one batch
    /// conditional on the request's ETag: an instance that lost the race to another finds it no longer Queued.
    /// </summary>
    /// <param name="inventorySnapshot">The cluster's inventory, read once per backfill pass (capacity itself is read fresh).</param>
    public async Task<QueueAdmission> AdmitQueuedAsync(StoredRequest stored, ClusterInventory inventorySnapshot, ProvisioningPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(inventorySnapshot);
        ArgumentNullException.ThrowIfNull(policy);
        var queued = stored.Request;
        if (queued.Status != RequestStatus.Queued)
        {
            return new QueueAdmission(QueueAdmissionOutcome.Gone, queued, null);
        }

        if (queued.IsBeingPlaced)
        {
            // Another instance is placing it; QueuePlacer.SettleAsync takes a claim back once it is older than the grace period.
            return new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, null);
        }

        var now = time.GetUtcNow();
        var submission = new PartitionRequestSubmission(
            queued.Action,
            queued.Cluster,
            VmName: queued.VmName,
            VmId: queued.VmId,
            GpuInstancePaths: queued.GpuInstancePaths,
            Origin: queued.Origin,
            RequestedBy: queued.RequestedBy,
            OfflineAction: queued.OfflineAction ?? OfflineAction.ForceShutdown);
        var validation = PartitionRequestValidator.Validate(submission, inventorySnapshot, now, _options.InventoryMaxAge);
        if (validation.Rejection is { } rejection)
        {
            if (rejection.Code == RequestCodes.NoFreePartition && string.Equals(validation.Node, queued.Node, StringComparison.OrdinalIgnoreCase) && QueuePlacer.MayPlace(queued, policy))
            {
                return await queuePlacer.PlaceAsync(stored, inventorySnapshot, policy, validation.Warnings, rejection, cancellationToken);
            }

            // Capacity, or something in flight that will end: keep waiting. Anything else (the VM is gone, or holds a
            // partition already) won't change by waiting: the request ends with that reason.
            return WaitsFor(rejection.Code) || (RequestCodes.DependsOnState(rejection.Code) && rejection.Code != RequestCodes.VmHasPartition)
                ? new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, rejection)
                : await EndAsync(stored, RequestStatus.Rejected, rejection, cancellationToken);
        }

        if (!string.Equals(validation.Node, queued.Node, StringComparison.OrdinalIgnoreCase))
        {
            return await EndAsync(stored, RequestStatus.Rejected, new RequestNotice(RequestCodes.VmMoved, $"VM '{queued.VmName}' moved from node {queued.Node} to node {validation.Node} while its request was queued; submit it again."), cancellationToken);
        }

        var current = stored;
        var admission = await admissions.AdmitAsync(
            queued with { Warnings = [.. validation.Warnings] },
            inventorySnapshot,
            policy,
            queued.PowerAfter ?? PowerAfterChange.RestorePrevious,
            async (withCommand, ledger, outbox) =>
            {
                var accepted = withCommand with { Status = RequestStatus.Accepted, UpdatedAt = now, QueuedUntil = null, AdmittedAt = now };
                try
                {
                    return await requests.AdmitQueuedAsync(current, accepted, ledger, outbox!, cancellationToken);
                }
                catch (StoreException ex) when (ex.IsConflict)
                {
                    // The request or the ledger changed: retry on fresh reads, unless the request left the queue.
                    var reread = await requests.GetAsync(queued.Cluster, queued.Node, queued.Id, cancellationToken);
                    if (reread is null || reread.Request.Status != RequestStatus.Queued)
                    {
                        return null;
                    }

                    current = reread;
                    throw;
                }
            },
            cancellationToken);
        if (admission.Refusal is { } refusal)
        {
            if (refusal.Code == RequestCodes.NoFreePartition && QueuePlacer.MayPlace(queued, policy))
            {
                return await queuePlacer.PlaceAsync(current, inventorySnapshot, policy, validation.Warnings, refusal, cancellationToken);
            }

            return WaitsFor(refusal.Code) || RequestCodes.DependsOnState(refusal.Code)
                ? new QueueAdmission(QueueAdmissionOutcome.Waiting, queued, refusal)
                : await EndAsync(current, RequestStatus.Rejected, refusal, cancellationToken);
        }

        if (admission.Stored is not { } admitted)
        {
            return new QueueAdmission(QueueAdmissionOutcome.Gone, queued, null);
        }

        if (current.Request.IsBeingPlaced)
        {
            // Admitted here over another instance's placement claim (read on a retry): that claim can't commit now.
            await queuePlacer.ReleaseClaimAsync(current.Request, cancellationToken);
        }

        await queue.RemoveAsync(EntryOf(admitted.Request), cancellationToken);
        LogAdmittedFromQueue(logger, admitted.Request.Id, admitted.Request.Cluster, admitted.Request.Node, admitted.Request.VmName, admitted.Request.CommandId, now - queued.CreatedAt);
        dispatches.Enqueue(new PendingDispatch(admission.Outbox!, admitted));
        return new QueueAdmission(QueueAdmissionOutcome.Admitted, admitted.Request, null);
    }

    /// <summary>Cancels a queued request (an operator's decision); null when there is no such request.</summary>
    /// <exception cref="ControlPlaneException">not-queued: it was already admitted or ended.</exception>
    public async Task<PartitionRequest?> CancelAsync(string requestId, string cancelledBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        if (await requests.GetAsync(requestId, cancellationToken) is not { } stored)
        {
            return null;
        }

        var notice = new RequestNotice(RequestCodes.Cancelled, $"Cancelled by {cancelledBy} while queued.");
        var ended = await EndAsync(stored, RequestStatus.Cancelled, notice, cancellationToken);
        if (ended.Outcome != QueueAdmissionOutcome.Ended)
        {
            throw new ControlPlaneException(
                RequestCodes.NotQueued,
                $"Request {requestId} is {ended.Request.Status}, not Queued: only a queued request can be cancelled.",
                isRetryable: false);
        }

        return ended.Request;
    }

    /// <summary>Ends a queued request whose wait is over: Expired, with how long it waited and why.</summary>
    public Task<QueueAdmission> ExpireAsync(StoredRequest stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var waited = stored.Request.Queue?.MaxWaitMinutes ?? 0;
        var why = stored.Request.Warnings.LastOrDefault(w => WaitsFor(w.Code))?.Message ?? "capacity did not free up";
        return EndAsync(stored, RequestStatus.Expired, new RequestNotice(RequestCodes.QueueExpired, $"Waited {waited} minute(s) in the queue without being admitted; it was waiting because: {why}"), cancellationToken);
    }

    /// <summary>Where a queued request stands in its cluster's queue now (1: next); null when it isn't queued.</summary>
    public async Task<int?> PositionOfAsync(PartitionRequest request, CancellationToken cancellationToken)
        => request?.Status == RequestStatus.Queued ? await queue.PositionAsync(EntryOf(request), cancellationToken) : null;

    /// <summary>
    /// Ends a Queued request (Rejected, Expired or Cancelled) if it still is Queued: conditional on its ETag, so it
    /// can't end after (or while) another instance admits it. Its queue entry goes, and its idempotency key is
    /// released so the same request can be asked again.
    /// </summary>
    private async Task<QueueAdmission> EndAsync(StoredRequest stored, RequestStatus status, RequestNotice reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ended = await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Ending queued request {stored.Request.Id}", async () =>
        {
            var current = await requests.GetAsync(stored.Request.Cluster, stored.Request.Node, stored.Request.Id, cancellationToken);
            if (current is null)
            {
                // Placed on another node (QueuePlacer): the queued row went in the placement's commit.
                return ((await requests.GetAsync(stored.Request.Id, cancellationToken))?.Request ?? stored.Request, false, (PartitionRequest?)null);
            }

            if (current.Request.Status != RequestStatus.Queued)
            {
                return (current.Request, false, (PartitionRequest?)null);
            }

            // Ending wins over a placement claim: the claim's commit is conditional on the version this replaces.
            var updated = current.Request with { Status = status, Error = reason, UpdatedAt = now, CompletedAt = now, QueuedUntil = null, Placement = null };
            await requests.UpdateAsync(current, updated, null, null, null, cancellationToken);
            return (updated, true, current.Request);
        });
        if (!ended.Item2)
        {
            return new QueueAdmission(QueueAdmissionOutcome.Gone, ended.Item1, null);
        }

        await queuePlacer.ReleaseClaimAsync(ended.Item3!, cancellationToken);
        await queue.RemoveAsync(EntryOf(ended.Item1), cancellationToken);
        if (ended.Item1.IdempotencyKey is { } key)
        {
            await index.ReleaseAsync(key, ended.Item1.Id, cancellationToken);
        }

        LogQueueEnded(logger, ended.Item1.Id, status, reason.Code, reason.Message);
        return new QueueAdmission(QueueAdmissionOutcome.Ended, ended.Item1, reason);
    }

    private static QueueEntry EntryOf(PartitionRequest request) => QueueEntry.Of(request);

    /// <summary>
    /// Stores a request refused for capacity as Queued, with the refusal among its warnings (why it waits). The queue
    /// entry is written first: a Queued request is never without the entry that gets it admitted.
    /// </summary>
    private async Task<SubmitOutcome> EnqueueAsync(PartitionRequest request, QueueTerms terms, PowerAfterChange powerAfter, RequestNotice why, CancellationToken cancellationToken)
    {
        var queued = request with
        {
            Status = RequestStatus.Queued,
            Queue = terms,
            QueuedUntil = request.CreatedAt.AddMinutes(terms.MaxWaitMinutes),
            PowerAfter = powerAfter == PowerAfterChange.RestorePrevious ? null : powerAfter,
            Warnings = [.. request.Warnings, why],
        };
        var entry = EntryOf(queued);
        await queue.AddAsync(entry, cancellationToken);
        await requests.CreateAsync(queued, null, null, cancellationToken);
        var position = await queue.PositionAsync(entry, cancellationToken);
        LogQueued(logger, queued.Id, queued.Cluster, queued.Node, queued.VmName, terms.Priority, position ?? 0, why.Code);
        return new SubmitOutcome(queued, IsExisting: false, position);
    }

    /// <summary>
    /// Changes the partition count on every node that has a target GPU, all or nothing: every node's change is
    /// validated against the inventory and admitted on its node's ledger before any is written, and none is sent
    /// until all are written. A node that refuses (or loses a race it can't win) leaves nothing stored and nothing
    /// sent on any node, and the outcome names every node's reason. Warnings are the cluster's view, computed once.
    /// </summary>
    public async Task<ClusterChangeOutcome> ChangeClusterPartitionCountAsync(ClusterPartitionCountChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var activity = ControlPlaneTelemetry.StartAdmission("partition-count change", PartitionAction.ConfigurePartitionCount, change.Origin, change.Cluster);
        try
        {
            var outcome = await ChangeClusterPartitionCountCoreAsync(change, cancellationToken);
            foreach (var request in outcome.Requests)
            {
                ControlPlaneTelemetry.Admitted(null, request, outcome.IsExisting);
            }

            activity?.SetTag("gpu.request.outcome", outcome.Requests.Count > 0 ? (outcome.IsExisting ? "replayed" : "accepted") : "refused");
            activity?.SetTag("gpu.request.count", outcome.Requests.Count);
            return outcome;
        }
        catch (Exception ex)
        {
            ControlPlaneTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async Task<ClusterChangeOutcome> ChangeClusterPartitionCountCoreAsync(ClusterPartitionCountChange change, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var clusterInventory = ResourceNames.IsValidHostName(change.Cluster)
            ? await inventory.GetClusterAsync(change.Cluster, cancellationToken)
            : new ClusterInventory(change.Cluster, []);
        if (clusterInventory.Nodes.Count == 0)
        {
            return ClusterChangeOutcome.Refused(string.Empty, new RequestNotice(RequestCodes.UnknownCluster, $"Cluster {change.Cluster} is unknown: no node of it has sent an inventory."));
        }

        var targets = Targets(clusterInventory, change.GpuInstancePaths, out var unknownGpu);
        if (unknownGpu is not null)
        {
            return ClusterChangeOutcome.Refused(string.Empty, unknownGpu);
        }

        if (targets.Count == 0)
        {
            return ClusterChangeOutcome.Refused(string.Empty, new RequestNotice(RequestCodes.NoPartitionableGpu, $"Cluster {clusterInventory.Cluster} has no partitionable GPU."));
        }

        var submissions = targets
            .Select(t => PartitionRequestSubmission.ConfigureCount(
                clusterInventory.Cluster,
                t.Node,
                change.PartitionCount,
                t.Gpus,
                change.Origin,
                change.RequestedBy,
                change.IdempotencyKey is null ? null : $"{change.IdempotencyKey}:{t.Node.ToLowerInvariant()}"))
            .ToList();
        var fingerprint = SubmissionFingerprint.Of(change);
        if (await ExistingAsync(submissions, fingerprint, cancellationToken) is { Count: > 0 } replayed)
        {
            return new ClusterChangeOutcome(replayed, [], [], IsExisting: true);
        }

        // 1. Every node against the inventory (a node's own warnings, but not its view of the selection).
        var refusals = new List<NodeRefusal>();
        var pending = new List<PartitionRequest>();
        foreach (var submission in submissions)
        {
            var validation = PartitionRequestValidator.Validate(submission, clusterInventory, now, _options.InventoryMaxAge);
            if (validation.Rejection is { } rejection)
            {
                refusals.Add(new NodeRefusal(submission.Node!, rejection));
                continue;
            }

            var request = NewRequest(ids.NewId(), submission, validation, now);
            pending.Add(request with { Warnings = [.. request.Warnings.Where(w => w.Code != RequestCodes.PartialSelection)] });
        }

        if (refusals.Count > 0)
        {
            LogClusterChangeRefused(logger, clusterInventory.Cluster, change.PartitionCount, string.Join("; ", refusals.Select(r => $"{r.Node}: {r.Reason.Code}")));
            return ClusterChangeOutcome.Refused(refusals);
        }

        var clusterWarnings = PartitionRequestValidator.PartialSelection(
            clusterInventory,
            pending.SelectMany(r => r.GpuInstancePaths.Select(p => (r.Node, p))),
            change.PartitionCount) is { } partial ? new[] { partial } : [];
        pending = [.. pending.Select(r => r with { Warnings = [.. r.Warnings, .. clusterWarnings] })];

        // 2. Claim the keys; a concurrent twin that got there first wins and is answered.
        var claims = await Task.WhenAll(pending.Select(r => r.IdempotencyKey is { } key
            ? requests.ClaimIdempotencyKeyAsync(key, r.Cluster, r.Id, fingerprint, now, _options.IdempotencyClaimTimeout, cancellationToken)
            : Task.FromResult<IdempotencyClaim?>(null)));
        if (claims.Any(c => c is not null))
        {
            await ReleaseClaimsAsync(pending.Where((_, i) => claims[i] is null), cancellationToken);
            foreach (var holder in claims.OfType<IdempotencyClaim>())
            {
                ThrowIfReused(holder, fingerprint, change.IdempotencyKey!);
            }

            var existing = await Task.WhenAll(claims.OfType<IdempotencyClaim>().Select(c => requests.GetAsync(c.RequestId, cancellationToken)));
            if (existing.Any(e => e is null))
            {
                throw new ControlPlaneException(RequestCodes.IdempotencyKeyInFlight, $"A partition count change of cluster {clusterInventory.Cluster} with idempotency key '{change.IdempotencyKey}' is still being written; retry shortly.", isRetryable: true);
            }

            return new ClusterChangeOutcome([.. existing.Select(e => e!.Request)], [], [], IsExisting: true);
        }

        // 3. Every node's ledger admits its change (a fresh read: a refusal here is final).
        var ledgers = new List<StoredLedger>();
        foreach (var request in pending)
        {
            var node = clusterInventory.FindNode(request.Node)!;
            var ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken) ?? new StoredLedger(NodeLedger.FromInventory(request.Cluster, node), null);
            if (ledger.Ledger.Admit(request) is { } notice)
            {
                refusals.Add(new NodeRefusal(request.Node, notice));
            }

            ledgers.Add(ledger);
        }

        if (refusals.Count > 0)
        {
            await ReleaseClaimsAsync(pending, cancellationToken);
            LogClusterChangeRefused(logger, clusterInventory.Cluster, change.PartitionCount, string.Join("; ", refusals.Select(r => $"{r.Node}: {r.Reason.Code}")));
            return ClusterChangeOutcome.Refused(refusals);
        }

        // 4. Write node by node, nothing sent yet. A node whose ledger changed since step 3 is admitted again on a
        // fresh read; if it now refuses, the nodes already written are withdrawn before anything was sent.
        var written = new List<(StoredRequest Stored, OutboxEntry Outbox)>();
        for (var i = 0; i < pending.Count; i++)
        {
            var request = pending[i];
            var node = clusterInventory.FindNode(request.Node)!;
            var ledger = ledgers[i];
            var (stored, outbox, refusal) = await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting request {request.Id}", async () =>
            {
                if (ledger.Ledger.Admit(request) is { } notice)
                {
                    return (default(StoredRequest), default(OutboxEntry), notice);
                }

                var (withCommand, entry) = commands.WithCommand(request, PowerAfterChange.RestorePrevious, now);
                try
                {
                    return (await requests.CreateAsync(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, entry, cancellationToken), entry, (RequestNotice?)null);
                }
                catch (StoreException ex) when (ex.IsConflict)
                {
                    ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken) ?? new StoredLedger(NodeLedger.FromInventory(request.Cluster, node), null);
                    throw;
                }
            });
            if (refusal is not null)
            {
                await admissions.WithdrawAsync(written.Select(w => w.Stored), new RequestNotice(refusal.Code, $"Withdrawn before it was sent: node {request.Node} of the same partition count change refused it ({refusal.Message})."), now, cancellationToken);
                await ReleaseClaimsAsync(pending.Skip(i), cancellationToken);
                return ClusterChangeOutcome.Refused(request.Node, refusal);
            }

            written.Add((stored!, outbox!));
        }

        foreach (var (stored, outbox) in written)
        {
            LogAccepted(logger, stored.Request.Id, stored.Request.Action, stored.Request.Cluster, stored.Request.Node, null, stored.Request.CommandId);
            dispatches.Enqueue(new PendingDispatch(outbox, stored));
        }

        return new ClusterChangeOutcome([.. written.Select(w => w.Stored.Request)], clusterWarnings, []);
    }

    public async Task<PartitionRequest?> GetAsync(string requestId, CancellationToken cancellationToken)
        => (await requests.GetAsync(requestId, cancellationToken))?.Request;

    public Task<RequestPage> ListAsync(RequestListQuery query, CancellationToken cancellationToken)
        => requests.ListAsync(query, cancellationToken);

    private static PartitionRequest NewRequest(string id, PartitionRequestSubmission submission, RequestValidation validation, DateTimeOffset now) => new(
        id,
        submission.IdempotencyKey,
        submission.Cluster,
        validation.Node,
        submission.Action,
        validation.VmName,
        validation.VmId,
        submission.PartitionCount,
        validation.GpuInstancePaths,
        submission.Origin,
        submission.RequestedBy,
        RequestStatus.Accepted,
        now,
        now,
        null,
        null,
        validation.Warnings,
        [],
        null,
        submission.Action is PartitionAction.ConfigurePartitionCount ? null : submission.OfflineAction,
        ControlPlaneTelemetry.CurrentTraceId());

    /// <summary>
    /// The GPUs a count change targets, per node: every partitionable GPU, or the named ones (nodes built alike report
    /// the same instance path for the GPU in the same slot, so a path names all of them).
    /// </summary>
    private static List<(string Node, IReadOnlyList<string>? Gpus)> Targets(ClusterInventory cluster, IReadOnlyList<string>? gpus, out RequestNotice? unknownGpu)
    {
        unknownGpu = null;
        if (gpus is null)
        {
            return [.. cluster.PartitionableGpus.Select(x => x.Node).Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (n, (IReadOnlyList<string>?)null))];
        }

        var found = new List<(string Node, string Gpu)>();
        foreach (var gpu in gpus)
        {
            var matches = cluster.Nodes.SelectMany(n => n.Gpus.Select(g => (n.Node, g.InstancePath)))
                .Where(x => string.Equals(x.InstancePath, gpu, StringComparison.OrdinalIgnoreCase))
                .ToList();
            if (matches.Count == 0)
            {
                unknownGpu = new RequestNotice(RequestCodes.UnknownGpu, $"Cluster {cluster.Cluster} has no GPU {gpu}.");
                return [];
            }

            found.AddRange(matches);
        }

        return [.. found.GroupBy(x => x.Node, StringComparer.OrdinalIgnoreCase).Select(g => (g.Key, (IReadOnlyList<string>?)[.. g.Select(x => x.Gpu)]))];
    }

    /// <summary>The requests an earlier change with the same idempotency keys created, if any (reads only).</summary>
    private async Task<List<PartitionRequest>> ExistingAsync(IReadOnlyList<PartitionRequestSubmission> submissions, string fingerprint, CancellationToken cancellationToken)
    {
        var holders = await Task.WhenAll(submissions.Select(s => s.IdempotencyKey is { } key ? index.GetHolderAsync(key, cancellationToken) : Task.FromResult<IdempotencyClaim?>(null)));
        foreach (var (holder, submission) in holders.Zip(submissions).Where(h => h.First is not null))
        {
            ThrowIfReused(holder!, fingerprint, submission.IdempotencyKey!);
        }

        var existing = await Task.WhenAll(holders.OfType<IdempotencyClaim>().Select(c => requests.GetAsync(c.RequestId, cancellationToken)));
        return [.. existing.OfType<StoredRequest>().Select(e => e.Request)];
    }

    private static void ThrowIfReused(IdempotencyClaim holder, string fingerprint, string key)
    {
        if (holder.IsReusedFor(fingerprint))
        {
            throw new ControlPlaneException(
                RequestCodes.IdempotencyKeyReused,
                $"Idempotency key '{key}' was first used for a different request ({holder.RequestId}); use a new key for a new request.",
                isRetryable: false);
        }
    }

    private async Task ReleaseClaimsAsync(IEnumerable<PartitionRequest> claimed, CancellationToken cancellationToken)
        => await Task.WhenAll(claimed.Where(r => r.IdempotencyKey is not null).Select(r => index.ReleaseAsync(r.IdempotencyKey!, r.Id, cancellationToken)));

    private async Task<SubmitOutcome> RejectAsync(PartitionRequest request, RequestNotice rejection, CancellationToken cancellationToken)
    {
        var rejected = request with { Status = RequestStatus.Rejected, Error = rejection, CompletedAt = request.CreatedAt };
        await requests.CreateAsync(rejected, null, null, cancellationToken);
        if (RequestCodes.DependsOnState(rejection.Code) && rejected.IdempotencyKey is { } key)
        {
            // The same request may succeed once capacity frees or the request in flight ends: the key mustn't keep
            // answering this refusal. The rejected request stays readable by its id.
            await index.ReleaseAsync(key, rejected.Id, cancellationToken);
        }

        LogRejected(logger, rejected.Id, rejected.Action, rejected.Cluster, rejection.Code, rejection.Message);
        return new SubmitOutcome(rejected, IsExisting: false);
    }

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Queued request {RequestId} on {Cluster}/{Node} for VM {VmName} (priority {Priority}, position {Position}): {Code}")]
    private static partial void LogQueued(ILogger logger, string requestId, string cluster, string node, string? vmName, int priority, int position, string code);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "Admitted queued request {RequestId} on {Cluster}/{Node} for VM {VmName}, command {CommandId}, after waiting {Waited}")]
    private static partial void LogAdmittedFromQueue(ILogger logger, string requestId, string cluster, string node, string? vmName, string? commandId, TimeSpan waited);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Queued request {RequestId} ended {Status}: {Code} {Reason}")]
    private static partial void LogQueueEnded(ILogger logger, string requestId, RequestStatus status, string code, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Partition count change of cluster {Cluster} to {PartitionCount} refused, nothing stored or sent: {Refusals}")]
    private static partial void LogClusterChangeRefused(ILogger logger, string cluster, int partitionCount, string refusals);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Accepted request {RequestId}: {Action} on {Cluster}/{Node} for VM {VmName}, command {CommandId}")]
    private static partial void LogAccepted(ILogger logger, string requestId, PartitionAction action, string cluster, string node, string? vmName, string? commandId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Rejected request {RequestId}: {Action} on {Cluster}: {Code} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, PartitionAction action, string cluster, string code, string reason);
}
