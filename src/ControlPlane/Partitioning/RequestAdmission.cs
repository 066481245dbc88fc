using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Admission of a validated request: its node's ledger (free partitions, requests in flight) and, for an assignment,
/// the cluster policy's failover reserve (<see cref="ClusterCapacityHolds"/> says how that stays true under
/// concurrency while working from ledgers read earlier), then the write of the request with its reservation — and its
/// command's outbox row, unless it waits for a move — in one batch. Shared by new submissions, queued requests and
/// placements, so all three are held to the same rules.
/// </summary>
public sealed partial class RequestAdmission(
    RequestStore requests,
    RequestCommands commands,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<RequestAdmission> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <summary>
    /// Admits <paramref name="request"/> on its node's ledger and, for an assignment, the cluster's reserve, and
    /// writes it through <paramref name="write"/> (null from it: the request is no longer to be admitted).
    /// </summary>
    /// <param name="waitForMove">A placement's assignment: admitted and holding its partition, but written without a
    /// command (no outbox row) until its VM has moved (<see cref="PlacementContinuation"/> sends it).</param>
    public async Task<AdmissionResult> AdmitAsync(
        PartitionRequest request,
        ClusterInventory cluster,
        ProvisioningPolicy policy,
        PowerAfterChange powerAfter,
        Func<PartitionRequest, StoredLedger, OutboxEntry?, Task<StoredRequest?>> write,
        CancellationToken cancellationToken,
        bool waitForMove = false)
    {
        var reserved = request.Action == PartitionAction.Assign && policy.Reserve != ReserveMode.None;
        var holding = reserved && policy.OnReserveBreach == ReserveBreachAction.Refuse;
        var attempts = 0;
        return await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting request {request.Id}", async () =>
        {
            // Decided first on what this instance last read or wrote: an acceptance is checked by the conditional
            // writes (a lost race runs again, on fresh reads); a refusal is final only on fresh reads, since another
            // instance may have freed capacity since.
            var fresh = attempts++ > 0;
            while (true)
            {
                var admission = reserved
                    ? await AdmitReservedAsync(request, cluster, policy, powerAfter, write, holding, fresh, waitForMove, cancellationToken)
                    : await AdmitOnNodeAsync(request, cluster, powerAfter, write, fresh, waitForMove, cancellationToken);
                if (admission.Refusal is null || fresh)
                {
                    return admission;
                }

                fresh = true;
            }
        });
    }

    /// <summary>Admission on the node's ledger alone (no reserve applies). A node without a stored ledger starts from its inventory.</summary>
    private async Task<AdmissionResult> AdmitOnNodeAsync(
        PartitionRequest request,
        ClusterInventory cluster,
        PowerAfterChange powerAfter,
        Func<PartitionRequest, StoredLedger, OutboxEntry?, Task<StoredRequest?>> write,
        bool fresh,
        bool waitForMove,
        CancellationToken cancellationToken)
    {
        var node = cluster.FindNode(request.Node)!;
        var stored = fresh
            ? await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken)
            : await requests.GetRecentLedgerAsync(request.Cluster, request.Node, cancellationToken);
        var ledger = stored ?? FromInventory(request.Cluster, node);
        return ledger.Ledger.Admit(request) is { } notice
            ? new AdmissionResult(null, null, notice)
            : await WriteAsync(request, ledger, powerAfter, write, held: false, waitForMove);
    }

    /// <summary>
    /// Admission of an assignment on a cluster with a reserve: the node's ledger, then the reserve over every node's
    /// ledger; when the policy refuses a breach, under a capacity hold (see <see cref="ClusterCapacityHolds"/>).
    /// </summary>
    private async Task<AdmissionResult> AdmitReservedAsync(
        PartitionRequest request,
        ClusterInventory cluster,
        ProvisioningPolicy policy,
        PowerAfterChange powerAfter,
        Func<PartitionRequest, StoredLedger, OutboxEntry?, Task<StoredRequest?>> write,
        bool holding,
        bool fresh,
        bool waitForMove,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holds = fresh
            ? await requests.GetCapacityHoldsAsync(request.Cluster, cancellationToken)
            : await requests.GetRecentCapacityHoldsAsync(request.Cluster, cancellationToken);
        var staleOn = holds.Holds.Stale(now, _options.IdempotencyClaimTimeout).Select(h => h.Node).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var views = await Task.WhenAll(cluster.Nodes.Select(n => ViewAsync(request.Cluster, n, holds.Holds, fresh || staleOn.Contains(n.Node), cancellationToken)));
        var ledgers = views.Select(v => v.Ledger.Ledger).ToList();
        var freshNodes = views.Where(v => v.Fresh).Select(v => v.Node).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var others = holds.Holds.Prune(ledgers, freshNodes, now, _options.IdempotencyClaimTimeout, request.Id);
        var ledger = views.First(v => string.Equals(v.Node, request.Node, StringComparison.OrdinalIgnoreCase)).Ledger;
        var breach = ledger.Ledger.Admit(request)
            ?? ClusterReserve.From(cluster, ledgers, others.Holds).CheckGrant(request.Node, policy.Reserve, policy.ReservePartitions);
        if (breach is not null && (holding || breach.Code != RequestCodes.HeadroomReserved))
        {
            if (fresh && holding && holds.Holds.Holds.Any(h => h.RequestId == request.Id))
            {
                await requests.SaveCapacityHoldsAsync(others, holds.ETag, cancellationToken);
            }

            return new AdmissionResult(null, null, breach);
        }

        var candidate = breach is null ? request : request with { Warnings = [.. request.Warnings, breach] };
        if (!holding)
        {
            return await WriteAsync(candidate, ledger, powerAfter, write, held: false, waitForMove);
        }

        // The hold goes before the node batch, so an admission ordered after this one counts it (ClusterCapacityHolds).
        var held = await requests.SaveCapacityHoldsAsync(others with { Holds = [.. others.Holds, new CapacityHold(request.Id, request.Node, now)] }, holds.ETag, cancellationToken);
        var admission = await WriteAsync(candidate, ledger, powerAfter, write, held: true, waitForMove);
        if (admission.Stored is null)
        {
            await GiveUpHoldAsync(held, request, cancellationToken);
        }

        return admission;
    }

    /// <summary>
    /// A node's ledger to check a grant against: as this instance last saw it when that was recent and at or above
    /// the node's watermark (no read), else read now.
    /// </summary>
    private async Task<LedgerView> ViewAsync(string clusterName, NodeInventory node, ClusterCapacityHolds holds, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && requests.PeekRecentLedger(clusterName, node.Node, _options.CapacityViewMaxAge) is { } recent && holds.Covers(recent.Ledger))
        {
            return new LedgerView(node.Node, recent, Fresh: false);
        }

        return new LedgerView(node.Node, await requests.GetLedgerAsync(clusterName, node.Node, cancellationToken) ?? FromInventory(clusterName, node), Fresh: true);
    }

    private async Task<AdmissionResult> WriteAsync(
        PartitionRequest request,
        StoredLedger ledger,
        PowerAfterChange powerAfter,
        Func<PartitionRequest, StoredLedger, OutboxEntry?, Task<StoredRequest?>> write,
        bool held,
        bool waitForMove)
    {
        var (withCommand, outbox) = waitForMove ? (request, (OutboxEntry?)null) : commands.WithCommand(request, powerAfter, time.GetUtcNow());
        var written = await write(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand, held) }, outbox);
        return new AdmissionResult(written, written is null ? null : outbox, null);
    }

    /// <summary>
    /// Removes the hold of a request its write declined (it left the queue meanwhile). Only this admission could have
    /// used it, so a lost race or a failure leaves it to be dropped as stale: it keeps a partition back until then.
    /// </summary>
    private async Task GiveUpHoldAsync(StoredCapacityHolds held, PartitionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            await requests.SaveCapacityHoldsAsync(held.Holds with { Holds = [.. held.Holds.Holds.Where(h => h.RequestId != request.Id)] }, held.ETag, cancellationToken);
        }
        catch (StoreException ex)
        {
            LogHoldKept(logger, request.Id, request.Cluster, ex.Message);
        }
    }

    private static StoredLedger FromInventory(string cluster, NodeInventory node) => new(NodeLedger.FromInventory(cluster, node), null);

    private sealed record LedgerView(string Node, StoredLedger Ledger, bool Fresh);

    /// <summary>
    /// Takes back requests written but not yet sent (a later node of the same change refused, a placement's move was refused): each ends Rejected with
    /// the reason, its reservation released and its outbox row removed, in one batch per node.
    /// </summary>
    public async Task WithdrawAsync(IEnumerable<StoredRequest> written, RequestNotice notice, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var first in written)
        {
            await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Withdrawing request {first.Request.Id}", async () =>
            {
                var current = await requests.GetAsync(first.Request.Cluster, first.Request.Node, first.Request.Id, cancellationToken) ?? first;
                var ledger = await requests.GetLedgerAsync(current.Request.Cluster, current.Request.Node, cancellationToken);
                var withdrawn = current.Request with { Status = RequestStatus.Rejected, Error = notice, CompletedAt = now, UpdatedAt = now };
                await requests.UpdateAsync(current, withdrawn, ledger, ledger?.Ledger.Release(current.Request.Id, changeApplied: false, now), current.Request.CommandId, cancellationToken);
                return true;
            });
            LogWithdrawn(logger, first.Request.Id, first.Request.Action, first.Request.Cluster, notice.Code, notice.Message);
        }
    }

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Capacity hold of request {RequestId} on {Cluster} left in place (dropped once stale): {Reason}")]
    private static partial void LogHoldKept(ILogger logger, string requestId, string cluster, string reason);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "Withdrew request {RequestId} ({Action} on {Cluster}) before it was sent: {Code} {Reason}")]
    private static partial void LogWithdrawn(ILogger logger, string requestId, PartitionAction action, string cluster, string code, string reason);
}
