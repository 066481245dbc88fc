using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.Contracts.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>
/// Admits queued requests when capacity may have freed: after a result, a snapshot or a VM leaving a node (the report
/// intake calls <see cref="BackfillAsync"/>), and on the sweep timer for every cluster with a queue (which also catches
/// a trigger missed by a stopped instance). It walks the cluster's queue in admission order (priority, then age) and
/// admits each request that fits through <see cref="PartitionRequestService.AdmitQueuedAsync"/>: the same admission
/// as a fresh request, so never past capacity or the reserve; each admission is conditional on the request's ETag, so
/// two instances backfilling at once never admit one twice. A request that doesn't fit on its VM's node is placed on
/// another node when the cluster policy allows moves (<see cref="QueuePlacer"/>), and a placement claim older than the
/// grace period (its instance stopped) is rolled back first. A request that doesn't fit is passed over for the next,
/// and without moves a node that refused for capacity is skipped for the rest of the pass (with moves, a later request
/// on it may still fit elsewhere; a placement that found no free partition on any node ends the pass). A pass that meets a request another pass is placing stops there: that pass walks on
/// in the same order, and overtaking it could give the partition it is about to take to a lower-priority request.
/// </summary>
public sealed partial class QueueBackfill(
    RequestQueue queue,
    RequestStore requests,
    InventoryStore inventory,
    PolicyStore policies,
    PartitionRequestService service,
    QueuePlacer placer,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<QueueBackfill> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <returns>How many queued requests of <paramref name="cluster"/> were admitted.</returns>
    public async Task<int> BackfillAsync(string cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (!ResourceNames.IsValidHostName(cluster))
        {
            return 0;
        }

        var entries = await queue.ListAsync(cluster, _options.MaxRowsPerRun, cancellationToken);
        if (entries.Count == 0)
        {
            return 0;
        }

        var snapshot = inventory.GetClusterAsync(cluster, cancellationToken);
        var policyRead = policies.GetEffectiveAsync(cluster, cancellationToken);
        await Task.WhenAll(snapshot, policyRead);
        var clusterInventory = await snapshot;
        var policy = await policyRead;
        var full = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var admitted = 0;
        var stopped = false;
        var settled = false;
        foreach (var entry in entries)
        {
            if (full.Contains(entry.Node) && !stopped)
            {
                continue;
            }

            var now = time.GetUtcNow();
            var stored = await requests.GetAsync(entry.Cluster, entry.Node, entry.RequestId, cancellationToken);
            if (stored is null)
            {
                // The entry is written before its request: a young one's request is still being written.
                if (now - entry.CreatedAt > _options.IdempotencyClaimTimeout)
                {
                    await queue.RemoveAsync(entry, cancellationToken);
                }

                continue;
            }

            if (stored.Request.Status != RequestStatus.Queued)
            {
                await queue.RemoveAsync(entry, cancellationToken);
                continue;
            }

            if (stored.Request.QueuedUntil is { } until && until <= now)
            {
                await service.ExpireAsync(stored, cancellationToken);
                continue;
            }

            if (stopped)
            {
                // Nothing more is admitted in this pass, but the rest of the queue is still tidied: an entry whose
                // request left the queue (an instance stopped between a placement's commit and the entry's removal)
                // or a stopped instance's claim would otherwise stay until a pass that doesn't stop early reaches it.
                if (stored.Request.IsBeingPlaced && await placer.SettleAsync(stored, cancellationToken) is not null)
                {
                    // Taking the claim back discarded its tentative assignment: a partition may be free again.
                    settled = true;
                }

                continue;
            }

            if (stored.Request.IsBeingPlaced)
            {
                // Another pass is placing it, or its instance stopped doing so (a claim older than the grace period is
                // taken back). That pass goes on down the queue after it; this one going on would overtake it.
                if (await placer.SettleAsync(stored, cancellationToken) is not { } released)
                {
                    stopped = true;
                    continue;
                }

                stored = released;
            }

            var result = await service.AdmitQueuedAsync(stored, clusterInventory, policy, cancellationToken);
            switch (result.Outcome)
            {
                case QueueAdmissionOutcome.Admitted:
                    admitted++;
                    break;
                case QueueAdmissionOutcome.Waiting when result.Reason is { } reason && PartitionRequestService.WaitsFor(reason.Code) && policy.Moves == MovePolicy.Never:
                    full.Add(entry.Node);
                    break;
                case QueueAdmissionOutcome.Waiting when result.NothingFree:
                    // Every node's ledger was full: with moves, one failed placement would otherwise be tried per queued request.
                    stopped = true;
                    break;
                case QueueAdmissionOutcome.Waiting when result.Request.IsBeingPlaced:
                    // Lost the claim to another pass placing it: as above, that pass serves the rest of the queue.
                    stopped = true;
                    break;
                case QueueAdmissionOutcome.Gone:
                    await queue.RemoveAsync(entry, cancellationToken);
                    break;
                default:
                    break;
            }
        }

        if (admitted > 0)
        {
            LogBackfilled(logger, cluster, admitted, entries.Count);
        }

        // What a settled claim gave back goes to the queue from its head again, so priority order holds. A claim is
        // settled once, so this pass's repeat finds none to settle unless another stopped instance left one since.
        return settled ? admitted + await BackfillAsync(cluster, cancellationToken) : admitted;
    }

    /// <summary>Backfills every cluster that has queued requests (the timer's pass).</summary>
    public async Task<int> BackfillAllAsync(CancellationToken cancellationToken)
    {
        var admitted = 0;
        foreach (var cluster in await queue.ClustersAsync(int.MaxValue, cancellationToken))
        {
            admitted += await BackfillAsync(cluster, cancellationToken);
        }

        return admitted;
    }

    [LoggerMessage(EventId = 3120, Level = LogLevel.Information, Message = "Backfill of {Cluster}: admitted {Admitted} of {Queued} queued requests")]
    private static partial void LogBackfilled(ILogger logger, string cluster, int admitted, int queued);
}
