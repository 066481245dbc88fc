using GpuAutomation.Contracts.Commands;
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
/// concurrency), then the write of the request with its reservation — and its command's outbox row, unless it waits for
/// a move — in one batch. Shared by new submissions, queued requests and placements, so all three are held to the same rules.
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
        var node = cluster.FindNode(request.Node)!;
        StoredLedger OrFromInventory(Contracts.Reports.NodeInventory n, StoredLedger? stored) => stored ?? new StoredLedger(NodeLedger.FromInventory(request.Cluster, n), null);
        var reserved = request.Action == PartitionAction.Assign && policy.Reserve != ReserveMode.None;
        var holding = reserved && policy.OnReserveBreach == ReserveBreachAction.Refuse;
        var admission = await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting request {request.Id}", async () =>
        {
            var now = time.GetUtcNow();
            var candidate = request;
            StoredLedger ledger;
            if (reserved)
            {
                // The holds row before the ledgers: see ClusterCapacityHolds for why this order makes the check safe.
                var holds = await requests.GetCapacityHoldsAsync(request.Cluster, cancellationToken);
                var ledgers = await Task.WhenAll(cluster.Nodes.Select(async n => OrFromInventory(n, await requests.GetLedgerAsync(request.Cluster, n.Node, cancellationToken))));
                ledger = ledgers.First(l => string.Equals(l.Ledger.Node, node.Node, StringComparison.OrdinalIgnoreCase));
                var others = holds.Holds.Prune(ledgers.Select(l => l.Ledger), now, _options.IdempotencyClaimTimeout, request.Id);
                var breach = ledger.Ledger.Admit(request) is { } notice
                    ? notice
                    : ClusterReserve.From(cluster, [.. ledgers.Select(l => l.Ledger)], others.Holds).CheckGrant(node.Node, policy.Reserve, policy.ReservePartitions);
                if (breach is not null && (holding || breach.Code != RequestCodes.HeadroomReserved))
                {
                    if (holding && holds.Holds.Holds.Any(h => h.RequestId == request.Id))
                    {
                        await requests.SaveCapacityHoldsAsync(others, holds.ETag, cancellationToken);
                    }

                    return new AdmissionResult(null, null, breach);
                }

                if (breach is not null)
                {
                    candidate = request with { Warnings = [.. request.Warnings, breach] };
                }

                if (holding)
                {
                    await requests.SaveCapacityHoldsAsync(others with { Holds = [.. others.Holds, new CapacityHold(request.Id, node.Node, now)] }, holds.ETag, cancellationToken);
                }
            }
            else
            {
                // Admit on the ledger as last seen; a refusal is only final on a fresh read (another instance may have
                // released capacity since), and an acceptance is checked by the batch's condition on the ledger's ETag.
                // A node without a stored ledger starts from its inventory.
                ledger = OrFromInventory(node, await requests.GetRecentLedgerAsync(request.Cluster, request.Node, cancellationToken));
                if (ledger.Ledger.Admit(request) is not null)
                {
                    ledger = OrFromInventory(node, await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken));
                    if (ledger.Ledger.Admit(request) is { } notice)
                    {
                        return new AdmissionResult(null, null, notice);
                    }
                }
            }

            var (withCommand, outbox) = waitForMove ? (candidate, (OutboxEntry?)null) : commands.WithCommand(candidate, powerAfter, now);
            var written = await write(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, outbox);
            return new AdmissionResult(written, written is null ? null : outbox, null);
        });

        if (holding && admission.Refusal is null)
        {
            // The ledger holds the reservation now (or the request left the queue): the hold has done its work. A
            // hold left behind only keeps a partition back until it is pruned, so failing to remove it doesn't fail
            // the admission.
            try
            {
                await ReleaseHoldAsync(request.Cluster, request.Id, cancellationToken);
            }
            catch (StoreException ex)
            {
                LogHoldKept(logger, request.Id, request.Cluster, ex.Message);
            }
        }

        return admission;
    }

    private Task ReleaseHoldAsync(string cluster, string requestId, CancellationToken cancellationToken)
        => OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Releasing the capacity hold of request {requestId}", async () =>
        {
            var holds = await requests.GetCapacityHoldsAsync(cluster, cancellationToken);
            if (holds.Holds.Holds.All(h => h.RequestId != requestId))
            {
                return false;
            }

            await requests.SaveCapacityHoldsAsync(holds.Holds with { Holds = [.. holds.Holds.Holds.Where(h => h.RequestId != requestId)] }, holds.ETag, cancellationToken);
            return true;
        });

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

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Capacity hold of request {RequestId} on {Cluster} left in place (pruned after the claim timeout): {Reason}")]
    private static partial void LogHoldKept(ILogger logger, string requestId, string cluster, string reason);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Information, Message = "Withdrew request {RequestId} ({Action} on {Cluster}) before it was sent: {Code} {Reason}")]
    private static partial void LogWithdrawn(ILogger logger, string requestId, PartitionAction action, string cluster, string code, string reason);
}
