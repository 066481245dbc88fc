using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
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
/// </summary>
public sealed partial class PartitionRequestService(
    InventoryStore inventory,
    RequestStore requests,
    RequestIndex index,
    DispatchQueue dispatches,
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
        await Task.WhenAll(claim, inventoryRead);
        if (await claim is { } holder)
        {
            ThrowIfReused(holder, fingerprint, submission.IdempotencyKey!);
            var existing = await requests.GetAsync(holder.RequestId, cancellationToken)
                ?? throw new ControlPlaneException(RequestCodes.IdempotencyKeyInFlight, $"Request {holder.RequestId} with idempotency key '{submission.IdempotencyKey}' is still being written; retry shortly.", isRetryable: true);
            return new SubmitOutcome(existing.Request, IsExisting: true);
        }

        var clusterInventory = await inventoryRead;
        var validation = PartitionRequestValidator.Validate(submission, clusterInventory, now, _options.InventoryMaxAge);
        var request = NewRequest(id, submission, validation, now);
        if (validation.Rejection is { } rejection)
        {
            return await RejectAsync(request, rejection, cancellationToken);
        }

        var node = clusterInventory.FindNode(validation.Node)!;
        var (accepted, entry, refusal) = await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting request {id}", async () =>
        {
            // Admit on the ledger as last seen; a refusal is only final on a fresh read (another instance may have
            // released capacity since), and an acceptance is checked by the batch's condition on the ledger's ETag.
            // A node without a stored ledger starts from its inventory.
            StoredLedger OrFromInventory(StoredLedger? stored) => stored ?? new StoredLedger(NodeLedger.FromInventory(request.Cluster, node), null);
            var ledger = OrFromInventory(await requests.GetRecentLedgerAsync(request.Cluster, request.Node, cancellationToken));
            if (ledger.Ledger.Admit(request) is not null)
            {
                ledger = OrFromInventory(await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken));
                if (ledger.Ledger.Admit(request) is { } notice)
                {
                    return (default(StoredRequest), (OutboxEntry?)null, notice);
                }
            }

            var (withCommand, outbox) = WithCommand(request, submission.PowerAfter, now);
            var written = await requests.CreateAsync(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, outbox, cancellationToken);
            return (written, outbox, (RequestNotice?)null);
        });

        if (refusal is not null)
        {
            return await RejectAsync(request, refusal, cancellationToken);
        }

        LogAccepted(logger, accepted!.Request.Id, accepted.Request.Action, accepted.Request.Cluster, accepted.Request.Node, accepted.Request.VmName, accepted.Request.CommandId);
        dispatches.Enqueue(new PendingDispatch(entry!, accepted));
        return new SubmitOutcome(accepted.Request, IsExisting: false);
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

                var (withCommand, entry) = WithCommand(request, PowerAfterChange.RestorePrevious, now);
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
                await WithdrawAsync(written.Select(w => w.Stored), refusal, request.Node, now, cancellationToken);
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

    /// <summary>The request with a new command id, and the outbox row that carries its command.</summary>
    private (PartitionRequest Request, OutboxEntry Outbox) WithCommand(PartitionRequest request, PowerAfterChange powerAfter, DateTimeOffset now)
    {
        var withCommand = request with { CommandId = ids.NewId() };
        var command = Command(withCommand, powerAfter, now);
        return (withCommand, new OutboxEntry(request.Cluster, request.Node, withCommand.CommandId!, request.Id, QueueNames.Commands(request.Cluster, request.Node), MessageCodec.Encode(command), now, ControlPlaneTelemetry.CurrentTraceParent()));
    }

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

    /// <summary>
    /// Takes back requests written but not yet sent (a later node of the same change refused): each ends Rejected with
    /// the reason, its reservation released and its outbox row removed, in one batch per node.
    /// </summary>
    private async Task WithdrawAsync(IEnumerable<StoredRequest> written, RequestNotice cause, string causeNode, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var first in written)
        {
            var notice = new RequestNotice(cause.Code, $"Withdrawn before it was sent: node {causeNode} of the same partition count change refused it ({cause.Message}).");
            await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Withdrawing request {first.Request.Id}", async () =>
            {
                var current = await requests.GetAsync(first.Request.Cluster, first.Request.Node, first.Request.Id, cancellationToken) ?? first;
                var ledger = await requests.GetLedgerAsync(current.Request.Cluster, current.Request.Node, cancellationToken);
                var withdrawn = current.Request with { Status = RequestStatus.Rejected, Error = notice, CompletedAt = now, UpdatedAt = now };
                await requests.UpdateAsync(current, withdrawn, ledger, ledger?.Ledger.Release(current.Request.Id, changeApplied: false, now), current.Request.CommandId, cancellationToken);
                return true;
            });
            LogRejected(logger, first.Request.Id, first.Request.Action, first.Request.Cluster, notice.Code, notice.Message);
        }
    }

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

    private Message Command(PartitionRequest request, PowerAfterChange powerAfter, DateTimeOffset now)
    {
        ICommand body = request.Action switch
        {
            PartitionAction.Assign => new AssignPartition(request.VmName!, request.VmId, request.GpuInstancePaths.FirstOrDefault(), request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.Unassign => new UnassignPartition(request.VmName!, request.VmId, request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.SetOfflineAction => new SetOfflineAction(request.VmName!, request.OfflineAction ?? OfflineAction.ForceShutdown, request.VmId),
            _ => new ConfigurePartitionCount(request.GpuInstancePaths, request.PartitionCount!.Value),
        };
        return Message.Create(body, request.CommandId!, request.Cluster, request.Node, now, request.Id, now + _options.CommandTimeToLive);
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Partition count change of cluster {Cluster} to {PartitionCount} refused, nothing stored or sent: {Refusals}")]
    private static partial void LogClusterChangeRefused(ILogger logger, string cluster, int partitionCount, string refusals);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Accepted request {RequestId}: {Action} on {Cluster}/{Node} for VM {VmName}, command {CommandId}")]
    private static partial void LogAccepted(ILogger logger, string requestId, PartitionAction action, string cluster, string node, string? vmName, string? commandId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Rejected request {RequestId}: {Action} on {Cluster}: {Code} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, PartitionAction action, string cluster, string code, string reason);
}
