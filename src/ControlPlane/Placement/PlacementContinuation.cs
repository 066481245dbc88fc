using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>
/// The second half of a placement (<see cref="VmMove"/>): once the Move request ends, its assignment — admitted on
/// the target node and holding its partition — gets its command (the move succeeded), ends TimedOut with it (the move
/// timed out: the assignment's time-out follows its move's, see <see cref="RequestTimeouts"/>) or ends Failed with the
/// move's reason, giving the partition back. A move that succeeds after all that (its late result) gets the VM a fresh
/// assignment on the node it reached (<see cref="LateMoveAdmission"/>). Idempotent, in the manner of a reconcile: the
/// result's intake calls it as the move completes (and again for a redelivered result), the time-out as the move times
/// out, and the timer calls <see cref="SweepAsync"/> for anything a crash between the two left waiting.
/// </summary>
public sealed partial class PlacementContinuation(
    RequestStore requests,
    RequestCommands commands,
    DispatchQueue dispatches,
    LateMoveAdmission lateMoves,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<PlacementContinuation> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <summary>Continues the placement of a Move request that reached a terminal status; anything else changes nothing.</summary>
    /// <param name="moved">How the host moved the VM, from the move's result; null when not known (a sweep).</param>
    /// <returns>True when the assignment was sent or ended.</returns>
    public async Task<bool> MoveEndedAsync(PartitionRequest move, VmPlacement? moved, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        if (move.Action != PartitionAction.Move || move.Placement is not { } placement || !move.IsTerminal)
        {
            return false;
        }

        var how = MovedText(moved);
        var (sent, endedUnsent) = await OptimisticRetry.RunAsync<(PendingDispatch?, PartitionRequest?)>(_options.MaxConcurrencyAttempts, $"Continuing placement {placement.AssignRequestId}", async () =>
        {
            var waiting = await requests.GetAsync(move.Cluster, placement.ToNode, placement.AssignRequestId, cancellationToken);
            if (waiting is null || waiting.Request.Placement?.MoveRequestId != move.Id)
            {
                return (null, null);
            }

            if (!waiting.Request.WaitsForMove)
            {
                // Sent already (nothing to do), or ended without its command: then a move that succeeded anyway left
                // the VM on the target without the partition it moved for.
                var unsent = waiting.Request.IsTerminal && waiting.Request.CommandId is null && move.Status == RequestStatus.Succeeded;
                return (null, unsent ? waiting.Request : null);
            }

            var now = time.GetUtcNow();
            if (move.Status == RequestStatus.Succeeded)
            {
                var request = waiting.Request with { Placement = placement with { Moved = how }, UpdatedAt = now };
                var (withCommand, outbox) = commands.WithCommand(request, request.PowerAfter ?? PowerAfterChange.RestorePrevious, now);
                var stored = await requests.AttachCommandAsync(waiting, withCommand with { PowerAfter = null }, outbox, cancellationToken);
                LogSending(logger, request.Id, request.VmName, placement.FromNode, placement.ToNode, withCommand.CommandId!);
                return (new PendingDispatch(outbox, stored), null);
            }

            if (move.Status == RequestStatus.TimedOut)
            {
                var minutes = (int)_options.RequestTimeout.TotalMinutes;
                await EndAsync(waiting, RequestStatus.TimedOut, new RequestNotice(RequestCodes.TimedOut, $"VM '{move.VmName}' did not finish moving from {placement.FromNode} to {placement.ToNode} within {minutes} minutes (move {move.Id} timed out); nothing was assigned. If the host still finishes the move, the VM gets its partition on {placement.ToNode} by a new assign request, linked from this one."), now, cancellationToken);
                return (null, null);
            }

            var why = move.Error is { } error ? $"{error.Code}: {error.Message}" : $"the move ended {move.Status}";
            await EndAsync(waiting, RequestStatus.Failed, new RequestNotice(RequestCodes.MoveFailed, $"VM '{move.VmName}' was to move from {placement.FromNode} to {placement.ToNode} for its partition, and the move (request {move.Id}) did not succeed ({why}); nothing was assigned."), now, cancellationToken);
            return (null, null);
        });
        if (sent is not null)
        {
            dispatches.Enqueue(sent);
        }

        if (endedUnsent is not null)
        {
            await lateMoves.AdmitAsync(move, endedUnsent, "moved late (after the placement had timed out), " + how, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Finds assignments still waiting for a move older than the outbox grace period, and continues each from its
    /// move's status; one whose move was never written (the writer stopped between the two) ends Failed.
    /// </summary>
    /// <returns>How many placements it continued.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - _options.OutboxGracePeriod;
        var continued = 0;
        foreach (var waiting in await requests.ListByStatusAsync(RequestStatus.Accepted, cutoff, _options.MaxRowsPerRun, cancellationToken))
        {
            if (!waiting.Request.WaitsForMove)
            {
                continue;
            }

            var placement = waiting.Request.Placement!;
            var move = await requests.GetAsync(waiting.Request.Cluster, placement.FromNode, placement.MoveRequestId, cancellationToken);
            if (move is null && await ClaimStandsAsync(waiting.Request, cancellationToken))
            {
                continue;
            }

            // Read again after the claim: a commit between the first read and the claim's wrote the move.
            move ??= await requests.GetAsync(waiting.Request.Cluster, placement.FromNode, placement.MoveRequestId, cancellationToken);
            if (move is null)
            {
                await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Ending placement {waiting.Request.Id}", async () =>
                {
                    var current = await requests.GetAsync(waiting.Request.Cluster, waiting.Request.Node, waiting.Request.Id, cancellationToken);
                    if (current?.Request.WaitsForMove == true)
                    {
                        await EndAsync(current, RequestStatus.Failed, new RequestNotice(RequestCodes.MoveFailed, $"The move of VM '{waiting.Request.VmName}' from {placement.FromNode} to {placement.ToNode} was never sent (the control plane stopped while placing it); nothing was assigned. Submit the request again."), time.GetUtcNow(), cancellationToken);
                    }

                    return true;
                });
                continued++;
            }
            else if (await MoveEndedAsync(move.Request, null, cancellationToken))
            {
                continued++;
            }
        }

        return continued;
    }

    /// <summary>
    /// True for a queued request's placement still claimed for this move (<see cref="Queueing.QueuePlacer"/>): its move is
    /// written when the claim commits, or the claim is rolled back and the assignment discarded; not this sweep's to end.
    /// </summary>
    private async Task<bool> ClaimStandsAsync(PartitionRequest waiting, CancellationToken cancellationToken)
        => await requests.GetAsync(waiting.Cluster, waiting.Placement!.FromNode, waiting.Id, cancellationToken) is { Request: { IsBeingPlaced: true } claim }
            && claim.Placement!.MoveRequestId == waiting.Placement.MoveRequestId;

    /// <summary>Ends the waiting assignment (Failed or TimedOut) and gives its reserved partition back, in one batch.</summary>
    private async Task EndAsync(StoredRequest waiting, RequestStatus status, RequestNotice error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var request = waiting.Request;
        var ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken);
        var ended = request with
        {
            Status = status,
            Error = error,
            UpdatedAt = now,
            CompletedAt = now,
            // A timed-out move may still finish: the assignment admitted then asks for the same power state.
            PowerAfter = status == RequestStatus.TimedOut ? request.PowerAfter : null,
        };
        await requests.UpdateAsync(waiting, ended, ledger, ledger?.Ledger.Release(request.Id, changeApplied: false, now), null, cancellationToken);
        LogFailed(logger, request.Id, request.VmName, status, error.Message);
    }

    /// <summary>How the host moved the VM, as a placement shows it (<see cref="VmMove.Moved"/>).</summary>
    public static string MovedText(VmPlacement? moved) => moved is null ? "moved" : $"moved by {Describe(moved.Method)}: {moved.Reason}";

    private static string Describe(MoveMethod method) => method switch
    {
        MoveMethod.Live => "live migration",
        MoveMethod.Quick => "a quick move",
        MoveMethod.StopMoveStart => "shutting it down and moving it",
        MoveMethod.AlreadyThere => "nothing (it was there already)",
        _ => method.ToString(),
    };

    [LoggerMessage(EventId = 3130, Level = LogLevel.Information, Message = "Placement {RequestId}: VM {VmName} moved from {FromNode} to {ToNode}; sending its assignment as command {CommandId}")]
    private static partial void LogSending(ILogger logger, string requestId, string? vmName, string fromNode, string toNode, string commandId);

    [LoggerMessage(EventId = 3131, Level = LogLevel.Warning, Message = "Placement {RequestId} of VM {VmName} ended {Status}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string requestId, string? vmName, RequestStatus status, string reason);
}
