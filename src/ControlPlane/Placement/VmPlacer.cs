using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>
/// The first half of a placement (<see cref="VmMove"/>): picks the node (<see cref="PlacementChooser"/>), admits the
/// assignment there through the same <see cref="RequestAdmission"/> as any request, and writes and sends the move.
/// <see cref="PlacementContinuation"/> does the second half.
/// </summary>
public sealed partial class VmPlacer(
    RequestStore requests,
    RequestIndex index,
    RequestAdmission admission,
    RequestCommands commands,
    DispatchQueue dispatches,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<VmPlacer> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    /// <summary>
    /// Gives the VM its partition on another node when its own has none and the cluster policy allows moves: the
    /// assignment is admitted on the best candidate's ledger (and the reserve) first, holding the partition, written
    /// without its command; then the Move request on the VM's node, with its MoveVm command, and only that is sent.
    /// The assignment's command follows once the move succeeded (<see cref="PlacementContinuation"/>). A candidate
    /// that refuses (another request took its last partition, the reserve) gives way to the next.
    /// </summary>
    /// <returns>The accepted assignment (or, when its move was refused, the assignment withdrawn with why); null with the
    /// refusal, extended by why nothing moved, when no node could take it.</returns>
    public async Task<(PartitionRequest? Request, RequestNotice Refusal)> PlaceAsync(
        PartitionRequest request,
        ClusterInventory cluster,
        ProvisioningPolicy policy,
        PowerAfterChange powerAfter,
        RequestNotice refusal,
        CancellationToken cancellationToken)
    {
        var from = cluster.FindNode(request.Node)!;
        var vm = from.Vms.First(v => v.Id == request.VmId);
        var ledgers = new Dictionary<string, NodeLedger>(StringComparer.OrdinalIgnoreCase);
        if (policy.Moves != MovePolicy.Never)
        {
            foreach (var (node, ledger) in await Task.WhenAll(cluster.Nodes.Select(async n => (n, await requests.GetLedgerAsync(request.Cluster, n.Node, cancellationToken)))))
            {
                ledgers[node.Node] = ledger?.Ledger ?? NodeLedger.FromInventory(request.Cluster, node);
            }
        }

        var choice = PlacementChooser.Choose(cluster, from, vm, ledgers, policy, time.GetUtcNow(), _options.InventoryMaxAge);
        if (choice.Candidates.Count == 0)
        {
            return (null, refusal with { Message = $"{refusal.Message} Not moved to another node: {choice.WhyNone}." });
        }

        // The assignment starts the VM when it ran before: a move that had to shut it down leaves it off for that.
        var assignPowerAfter = powerAfter == PowerAfterChange.RestorePrevious && vm.PowerState == VmPowerState.Running ? PowerAfterChange.Start : powerAfter;
        var moveId = ids.NewId();
        var refusals = new List<string>();
        foreach (var candidate in choice.Candidates)
        {
            var placement = new VmMove(from.Node, candidate.Node, candidate.Mode, candidate.Reason, moveId, request.Id);
            var assign = request with
            {
                Node = candidate.Node,
                Placement = placement,
                PowerAfter = assignPowerAfter == PowerAfterChange.RestorePrevious ? null : assignPowerAfter,
            };
            var admitted = await admission.AdmitAsync(
                assign,
                cluster,
                policy,
                assignPowerAfter,
                async (held, ledger, _) => await requests.CreateAsync(held, ledger, null, cancellationToken),
                cancellationToken,
                waitForMove: true);
            if (admitted.Refusal is { } refused)
            {
                refusals.Add($"{candidate.Node}: {refused.Message}");
                continue;
            }

            var held = admitted.Stored!;
            var move = await WriteMoveAsync(request, placement, from, cancellationToken);
            if (move.Refusal is { } moveRefused)
            {
                await admission.WithdrawAsync([held], new RequestNotice(moveRefused.Code, $"Withdrawn before anything was sent: the move of VM '{request.VmName}' from {from.Node} was refused ({moveRefused.Message})."), time.GetUtcNow(), cancellationToken);
                if (request.IdempotencyKey is { } key)
                {
                    // Refused for the VM's state (a request of its own in flight): the same request may be asked again.
                    await index.ReleaseAsync(key, request.Id, cancellationToken);
                }

                return ((await requests.GetAsync(held.Request.Cluster, held.Request.Node, held.Request.Id, cancellationToken))?.Request ?? held.Request, refusal);
            }

            // The move is a request of its own (action move): counted as the assignment it serves is by the submission.
            ControlPlaneTelemetry.Admitted(null, move.Stored!.Request, existing: false);
            LogPlaced(logger, held.Request.Id, held.Request.VmName, from.Node, candidate.Node, candidate.Mode, move.Stored.Request.Id);
            dispatches.Enqueue(new PendingDispatch(move.Outbox!, move.Stored));
            return (held.Request, refusal);
        }

        return (null, refusal with { Message = $"{refusal.Message} No other node could take it either: {string.Join("; ", refusals)}." });
    }

    /// <summary>The Move request of a placement, on the VM's node with its reservation there (the VM is busy until it moved) and its MoveVm command.</summary>
    private async Task<AdmissionResult> WriteMoveAsync(PartitionRequest assign, VmMove placement, Contracts.Reports.NodeInventory from, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var move = MoveRequest(assign, placement, now);
        return await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting move {move.Id}", async () =>
        {
            var ledger = await requests.GetLedgerAsync(move.Cluster, move.Node, cancellationToken) ?? new StoredLedger(NodeLedger.FromInventory(move.Cluster, from), null);
            if (ledger.Ledger.Admit(move) is { } notice)
            {
                return new AdmissionResult(null, null, notice);
            }

            var (withCommand, outbox) = commands.WithCommand(move, PowerAfterChange.LeaveOff, now);
            var stored = await requests.CreateAsync(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, outbox, cancellationToken);
            return new AdmissionResult(stored, outbox, null);
        });
    }

    /// <summary>The Move request of <paramref name="placement"/> (id <see cref="VmMove.MoveRequestId"/>, on <see cref="VmMove.FromNode"/>), before its command.</summary>
    internal static PartitionRequest MoveRequest(PartitionRequest assign, VmMove placement, DateTimeOffset now) => new(
        placement.MoveRequestId,
        null,
        assign.Cluster,
        placement.FromNode,
        PartitionAction.Move,
        assign.VmName,
        assign.VmId,
        null,
        [],
        assign.Origin,
        assign.RequestedBy,
        RequestStatus.Accepted,
        now,
        now,
        null,
        null,
        [],
        [],
        null,
        null,
        assign.TraceId,
        Placement: placement);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "Placed request {RequestId}: VM {VmName} moves from {FromNode} to {ToNode} ({Mode}) by move {MoveRequestId}, then gets its partition there")]
    private static partial void LogPlaced(ILogger logger, string requestId, string? vmName, string fromNode, string toNode, MoveMode mode, string moveRequestId);
}
