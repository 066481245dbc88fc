using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Marks requests without a result within <see cref="ControlPlaneOptions.RequestTimeout"/> TimedOut and frees their
/// capacity. A placement's assignment waiting for its move doesn't time out on its own while the move is open: it ends
/// with the move (<see cref="PlacementContinuation"/>), so a move that finishes in time always finds it waiting.
/// </summary>
public sealed partial class RequestTimeouts(
    RequestStore requests,
    PlacementContinuation placements,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<RequestTimeouts> logger)
{
    private static readonly RequestStatus[] OpenStatuses = [RequestStatus.Accepted, RequestStatus.Dispatched, RequestStatus.Running];

    /// <returns>How many requests timed out in this run.</returns>
    public async Task<int> TimeOutStaleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var cutoff = now - options.Value.RequestTimeout;
        var timedOut = 0;
        foreach (var status in OpenStatuses)
        {
            var stale = await requests.ListByStatusAsync(status, cutoff, options.Value.MaxRowsPerRun, cancellationToken);
            foreach (var candidate in stale)
            {
                if (candidate.Request.WaitsForMove && await MoveIsOpenAsync(candidate.Request, cancellationToken))
                {
                    continue;
                }

                if (await TimeOutAsync(candidate.Request, cutoff, now, cancellationToken) is { } ended)
                {
                    timedOut++;
                    if (ended.Action == PartitionAction.Move)
                    {
                        // Its assignment, waiting on the target node, ends with it now rather than on the next sweep.
                        await placements.MoveEndedAsync(ended, null, cancellationToken);
                    }
                }
            }
        }

        return timedOut;
    }

    /// <summary>Whether the move a waiting assignment is for is still open (a missing or ended one: the assignment times out as any request).</summary>
    private async Task<bool> MoveIsOpenAsync(PartitionRequest waiting, CancellationToken cancellationToken)
        => await requests.GetAsync(waiting.Cluster, waiting.Placement!.FromNode, waiting.Placement.MoveRequestId, cancellationToken) is { Request.IsTerminal: false };

    /// <returns>The request as it timed out; null when it was not timed out (gone, ended, or younger than the cutoff).</returns>
    private Task<PartitionRequest?> TimeOutAsync(PartitionRequest candidate, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken)
        => OptimisticRetry.RunAsync<PartitionRequest?>(options.Value.MaxConcurrencyAttempts, $"Timing out request {candidate.Id}", async () =>
        {
            var stored = await requests.GetAsync(candidate.Cluster, candidate.Node, candidate.Id, cancellationToken);
            if (stored is null || stored.Request.IsTerminal || (stored.Request.AdmittedAt ?? stored.Request.CreatedAt) >= cutoff)
            {
                return null;
            }

            var request = stored.Request;
            var ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken);
            var minutes = (int)options.Value.RequestTimeout.TotalMinutes;
            var updated = request with
            {
                Status = RequestStatus.TimedOut,
                UpdatedAt = now,
                CompletedAt = now,
                Error = new RequestNotice(RequestCodes.TimedOut, request.WaitsForMove
                    ? $"VM '{request.VmName}' did not finish moving from {request.Placement!.FromNode} to {request.Node} (move {request.Placement.MoveRequestId}) within {minutes} minutes; nothing was assigned."
                    : $"No result for command {request.CommandId} from node {request.Node} within {minutes} minutes; the request was {request.Status}."),
                PowerAfter = null,
            };
            await requests.UpdateAsync(stored, updated, ledger, ledger?.Ledger.Release(request.Id, changeApplied: false, now), request.CommandId, cancellationToken);
            LogTimedOut(logger, request.Id, request.CommandId, request.Status);
            return updated;
        });

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Request {RequestId} timed out waiting for command {CommandId} (was {Status})")]
    private static partial void LogTimedOut(ILogger logger, string requestId, string? commandId, RequestStatus status);
}
