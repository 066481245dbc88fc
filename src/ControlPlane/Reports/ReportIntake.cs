using System.Diagnostics;
using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using System.Globalization;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Nodes;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Takes in what host runners report: results and progress move requests forward (never back, never twice),
/// snapshots replace older inventory and reconcile capacity, cluster events update inventory and reach the observers.
/// Before any of that, every report is checked against itself, the node registry, the clock and, for results and
/// progress, its request (issue 16, item 3): a refused report changes nothing and is recorded with its reason.
/// A report that may have freed capacity then lets the cluster's queued requests in (<see cref="QueueBackfill"/>).
/// </summary>
public sealed partial class ReportIntake(
    InventoryStore inventory,
    RequestStore requests,
    NodeRegistry nodes,
    ReportAuthenticator authenticator,
    RejectedMessageStore rejectedMessages,
    QueueBackfill backfill,
    PlacementContinuation placements,
    IEnumerable<IClusterEventObserver> observers,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<ReportIntake> logger,
    CapacityMetrics? capacity = null)
{
    /// <summary>The trigger name recorded with refusals of reports handed in without one.</summary>
    public const string DefaultReceiver = "reports";

    private readonly int _maxAttempts = options.Value.MaxConcurrencyAttempts;
    private readonly TimeSpan _maxClockSkew = options.Value.MaxClockSkew;

    /// <returns>True when the report changed stored state; false for duplicates, late, stale and refused reports.</returns>
    public async Task<bool> HandleAsync(Message report, CancellationToken cancellationToken)
        => (await ReceiveAsync(report, DefaultReceiver, null, cancellationToken)).Changed;

    /// <summary>
    /// Checks the report, then applies it; a refused one is recorded in <see cref="RejectedMessageStore"/> with the
    /// receiving trigger and broker message id, and changes nothing else.
    /// </summary>
    /// <param name="traceParent">
    /// The sender's W3C context when the trigger did not start a span in it (the Functions host's Service Bus trigger
    /// hands the message's Diagnostic-Id over as metadata); null continues the current span (the local consumer's).
    /// </param>
    public async Task<ReportVerdict> ReceiveAsync(Message report, string receivedBy, string? brokerMessageId, CancellationToken cancellationToken, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(receivedBy);
        var envelope = report.Envelope;
        using var activity = ControlPlaneTelemetry.Source.StartActivity("report intake " + envelope.MessageType, ActivityKind.Internal, ControlPlaneTelemetry.Parse(traceParent));
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gpu.message.type", envelope.MessageType);
            activity.SetTag("gpu.cluster", envelope.Cluster);
            activity.SetTag("gpu.node", envelope.Node);
            activity.SetTag(ControlPlaneTelemetry.RequestIdAttribute, envelope.CorrelationId);
            activity.SetTag(ControlPlaneTelemetry.CommandIdAttribute, report.Body switch
            {
                CommandResult r => r.CommandId,
                CommandProgress p => p.CommandId,
                _ => null,
            });
        }

        try
        {
            var verdict = await ReceiveCoreAsync(report, receivedBy, brokerMessageId, cancellationToken);
            ControlPlaneTelemetry.Reported(activity, envelope.MessageType, verdict.Refusal is not null ? "refused" : verdict.Changed ? "applied" : "unchanged");
            if (verdict.Refusal is { } refused)
            {
                activity?.SetTag("gpu.refusal", refused.Code);
            }

            return verdict;
        }
        catch (Exception ex)
        {
            ControlPlaneTelemetry.Failed(activity, ex);
            throw;
        }
    }

    private async Task<ReportVerdict> ReceiveCoreAsync(Message report, string receivedBy, string? brokerMessageId, CancellationToken cancellationToken)
    {
        var refusal = await CheckAsync(report, cancellationToken);
        if (refusal is null)
        {
            var changed = report.Body switch
            {
                CommandResult result => await ApplyResultAsync(report.Envelope, result, cancellationToken),
                CommandProgress progress => await ApplyProgressAsync(report.Envelope, progress, cancellationToken),
                InventorySnapshot snapshot => await ApplySnapshotAsync(report.Envelope.Cluster, snapshot.Inventory, cancellationToken),
                ClusterEvent clusterEvent => await ApplyEventAsync(report.Envelope.Cluster, clusterEvent, cancellationToken),
                _ => throw new ArgumentException($"{report.Envelope.MessageType} is not a report.", nameof(report)),
            };
            // A result ends a reservation, a snapshot can show a new or returning node or freed partitions, a VM
            // that left a node left its partition: each may let a queued request in.
            if (changed && report.Body is CommandResult or InventorySnapshot or ClusterEvent { Kind: ClusterEventKind.VmRemoved or ClusterEventKind.VmMoved })
            {
                await backfill.BackfillAsync(report.Envelope.Cluster, cancellationToken);
            }

            return changed ? ReportVerdict.Applied : ReportVerdict.Unchanged;
        }

        var encoded = MessageCodec.Encode(report);
        var excerpt = System.Text.Encoding.UTF8.GetString(encoded.AsSpan(0, Math.Min(encoded.Length, RejectedMessage.MaxExcerptLength)));
        await rejectedMessages.RecordAsync(
            new RejectedMessage(receivedBy, brokerMessageId ?? report.Envelope.MessageId, refusal.Code, refusal.Reason, time.GetUtcNow(), excerpt),
            cancellationToken);
        LogRefused(logger, report.Envelope.MessageType, report.Envelope.MessageId, report.Envelope.Cluster, report.Envelope.Node, refusal.Code, refusal.Reason);
        return new ReportVerdict(false, refusal);
    }

    /// <summary>
    /// Why the report can't count, or null: its body names the envelope's node, the node is registered, its access token
    /// proves the node sent it (<see cref="ReportAuthenticator"/>), no timestamp
    /// is further ahead of this clock than MaxClockSkew, no snapshot lists a VM id twice, and a result or progress is
    /// about a request of the same cluster and node.
    /// </summary>
    public async Task<ReportRefusal?> CheckAsync(Message report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var envelope = report.Envelope;
        var from = $"{envelope.Cluster}/{envelope.Node}";
        var (bodyNode, snapshots, times) = report.Body switch
        {
            InventorySnapshot s => (s.Inventory.Node, new[] { s.Inventory }, new[] { envelope.IssuedAt, s.Inventory.TakenAt }),
            CommandResult r => (r.InventoryAfter?.Node, r.InventoryAfter is { } after ? [after] : [], new[] { envelope.IssuedAt, r.CompletedAt, r.InventoryAfter?.TakenAt ?? r.CompletedAt }),
            ClusterEvent e => (e.Node, [], new[] { envelope.IssuedAt, e.OccurredAt }),
            CommandProgress p => ((string?)null, Array.Empty<NodeInventory>(), new[] { envelope.IssuedAt, p.At }),
            _ => ((string?)null, Array.Empty<NodeInventory>(), new[] { envelope.IssuedAt }),
        };

        if (bodyNode is not null && !SameName(bodyNode, envelope.Node))
        {
            return new ReportRefusal(ReportRefusalCodes.SenderMismatch, $"{envelope.MessageType} {envelope.MessageId} came from {from} but its body is about node {bodyNode}.");
        }

        var registered = await nodes.GetAsync(envelope.Cluster, envelope.Node, cancellationToken);
        if (registered is null)
        {
            return new ReportRefusal(ReportRefusalCodes.UnregisteredNode, $"{envelope.MessageType} {envelope.MessageId} came from {from}, which is not a registered node; register it (configuration GpuAutomation:Nodes or PUT /api/clusters/{{cluster}}/nodes/{{node}}) before its reports count.");
        }

        // Before anything is noted on the node (the clock-skew note below): an unauthenticated sender changes nothing.
        if (await authenticator.CheckAsync(report, registered, cancellationToken) is { } unauthenticated)
        {
            return unauthenticated;
        }

        var now = time.GetUtcNow();
        var latest = times.Max();
        if (latest - now > _maxClockSkew)
        {
            var skew = latest - now;
            await nodes.NoteClockSkewAsync(envelope.Cluster, envelope.Node, skew, now, cancellationToken);
            return new ReportRefusal(
                ReportRefusalCodes.ClockSkew,
                string.Create(CultureInfo.InvariantCulture, $"{envelope.MessageType} {envelope.MessageId} from {from} is dated {latest:O}, {NodeRegistry.Describe(skew)} ahead of the control plane's clock ({now:O}); at most {NodeRegistry.Describe(_maxClockSkew)} is accepted. Correct the node's clock."));
        }

        foreach (var snapshot in snapshots)
        {
            var duplicates = snapshot.Vms.GroupBy(v => v.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key} ({string.Join(", ", g.Select(v => v.Name))})").ToList();
            if (duplicates.Count > 0)
            {
                return new ReportRefusal(ReportRefusalCodes.DuplicateVmId, $"The inventory of {from} taken at {snapshot.TakenAt:O} lists VM ids more than once: {string.Join("; ", duplicates)}.");
            }
        }

        var commandId = report.Body switch
        {
            CommandResult r => r.CommandId,
            CommandProgress p => p.CommandId,
            _ => null,
        };
        if (commandId is not null && envelope.CorrelationId is { } requestId)
        {
            var stored = await requests.GetAsync(envelope.Cluster, envelope.Node, requestId, cancellationToken)
                ?? await requests.GetAsync(requestId, cancellationToken);
            if (stored?.Request is { } request && (!SameName(request.Cluster, envelope.Cluster) || !SameName(request.Node, envelope.Node)))
            {
                return new ReportRefusal(
                    ReportRefusalCodes.SenderMismatch,
                    $"{envelope.MessageType} {envelope.MessageId} of command {commandId} came from {from}, but request {requestId} was sent to {request.Cluster}/{request.Node}.");
            }
        }

        if (registered.ClockSkew is not null && !(report.Body is CommandProgress))
        {
            // A report dated within the tolerance again: the node's clock is right, the warning can go.
            await nodes.NoteClockSkewAsync(envelope.Cluster, envelope.Node, null, now, cancellationToken);
        }

        return null;
    }

    public async Task<bool> ApplyResultAsync(Envelope envelope, CommandResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(result);
        if (envelope.CorrelationId is not { } requestId)
        {
            // A result that is about no request completes nothing, so its inventory-after counts for nothing either.
            LogIgnored(logger, "result", result.CommandId, string.Empty, null);
            return false;
        }

        var applied = false;
        PartitionRequest? completed = null;
        var changed = await OptimisticRetry.RunAsync(_maxAttempts, $"Applying result {result.CommandId}", async () =>
            {
                applied = false;
                var stored = await ReadOpenRequestAsync(envelope, requestId, "result", result.CommandId, cancellationToken, acceptTimedOut: true);
                if (stored is null)
                {
                    return false;
                }

                applied = true;
                var request = stored.Request;

                var status = result.Outcome switch
                {
                    CommandOutcome.Succeeded => RequestStatus.Succeeded,
                    CommandOutcome.Rejected => RequestStatus.Rejected,
                    _ => RequestStatus.Failed,
                };
                var updated = request with
                {
                    Status = status,
                    UpdatedAt = time.GetUtcNow(),
                    CompletedAt = result.CompletedAt,
                    Steps = result.Steps,
                    Error = result.Error is { } e ? new RequestNotice(e.Code, e.Message, e.Step) : null,
                    // A placement's move records how the VM went, as its assignment does when it is sent.
                    Placement = request.Placement is { } placement && request.Action == PartitionAction.Move && status == RequestStatus.Succeeded
                        ? placement with { Moved = placement.Moved ?? PlacementContinuation.MovedText(result.Placement) }
                        : request.Placement,
                    Warnings = request.Status == RequestStatus.TimedOut
                        ? [.. request.Warnings, new RequestNotice(RequestCodes.LateResult, string.Create(CultureInfo.InvariantCulture, $"The result of command {result.CommandId} arrived at {time.GetUtcNow():O}, after the request had timed out ({request.Error?.Message}); the request now says what the host did."))]
                        : request.Warnings,
                };
                var ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken);
                // The inventory-after is read before the result is stamped complete: dating the release by it lets
                // that snapshot (applied below) reconcile the figure instead of being ignored as older than it.
                // A timed-out request's reservation is gone already: the host's change still counts on the ledger.
                var held = ledger?.Ledger is { } current && request.Status == RequestStatus.TimedOut && current.Reservations.All(r => r.RequestId != request.Id)
                    ? current.Reserve(request)
                    : ledger?.Ledger;
                var released = held?.Release(request.Id, status == RequestStatus.Succeeded, result.InventoryAfter?.TakenAt ?? result.CompletedAt);
                await requests.UpdateAsync(stored, updated, ledger, released, result.CommandId, cancellationToken);
                completed = updated;
                ControlPlaneTelemetry.Completed(request, status);
                LogCompleted(logger, request.Id, result.CommandId, status);
                return true;
            });

        // An ignored result (duplicate, late after completion, another command's) changes nothing, inventory-after
        // included: the first delivery already applied it, and a stray one must not replace the node's inventory.
        if (applied && result.InventoryAfter is { } after)
        {
            changed |= await ApplySnapshotAsync(envelope.Cluster, after, cancellationToken);
        }

        // A placement's move ended: its assignment on the target node is sent now, or ends with the move's reason.
        if (completed is { Action: PartitionAction.Move })
        {
            await placements.MoveEndedAsync(completed, result.Placement, cancellationToken);
        }
        else if (!applied
            && await requests.GetAsync(envelope.Cluster, envelope.Node, requestId, cancellationToken) is { Request: { Action: PartitionAction.Move, IsTerminal: true } move }
            && string.Equals(move.CommandId, result.CommandId, StringComparison.Ordinal))
        {
            // The move's result delivered again: the instance that applied it may have stopped before continuing its
            // placement (the assignment a late move gets is continued nowhere else). Continuing is idempotent.
            await placements.MoveEndedAsync(move, result.Placement, cancellationToken);
        }

        return changed;
    }

    public Task<bool> ApplyProgressAsync(Envelope envelope, CommandProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(progress);
        if (envelope.CorrelationId is not { } requestId)
        {
            return Task.FromResult(false);
        }

        return OptimisticRetry.RunAsync(_maxAttempts, $"Applying progress of {progress.CommandId}", async () =>
        {
            var stored = await ReadOpenRequestAsync(envelope, requestId, "progress", progress.CommandId, cancellationToken);
            if (stored is null)
            {
                return false;
            }

            var request = stored.Request;

            var newStep = progress.Step is { } step && !request.Steps.Contains(step);
            if (!newStep && request.Status == RequestStatus.Running)
            {
                return false;
            }

            var updated = request with
            {
                Status = RequestStatus.Running,
                UpdatedAt = time.GetUtcNow(),
                Steps = newStep ? [.. request.Steps, progress.Step!] : request.Steps,
            };
            await requests.UpdateAsync(stored, updated, null, null, progress.CommandId, cancellationToken);
            return true;
        });
    }

    public async Task<bool> ApplySnapshotAsync(string cluster, NodeInventory snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var saved = await inventory.SaveIfNewerAsync(cluster, snapshot, cancellationToken);
        if (!saved)
        {
            LogStaleSnapshot(logger, cluster, snapshot.Node, snapshot.TakenAt);
        }
        else
        {
            capacity?.Observe(cluster, snapshot);
        }

        var reconciled = await OptimisticRetry.RunAsync(_maxAttempts, $"Reconciling capacity of {cluster}/{snapshot.Node}", async () =>
        {
            var ledger = await requests.GetLedgerAsync(cluster, snapshot.Node, cancellationToken);
            if (ledger is null)
            {
                await requests.SaveLedgerAsync(NodeLedger.FromInventory(cluster, snapshot), null, cancellationToken);
                return true;
            }

            var updated = ledger.Ledger.Reconcile(snapshot);
            var before = ledger.Ledger;
            if (updated.AsOf == before.AsOf && updated.FreePartitions == before.FreePartitions && updated.Reservations.Count == before.Reservations.Count)
            {
                return false;
            }

            await requests.SaveLedgerAsync(updated, ledger.ETag, cancellationToken);
            return true;
        });
        return saved || reconciled;
    }

    public async Task<bool> ApplyEventAsync(string cluster, ClusterEvent clusterEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        var changed = clusterEvent.Kind switch
        {
            ClusterEventKind.VmRemoved => await ChangeVmAsync(cluster, clusterEvent.Node, clusterEvent, vm => null, cancellationToken),
            ClusterEventKind.VmMoved => await ChangeVmAsync(cluster, clusterEvent.FromNode!, clusterEvent, vm => null, cancellationToken),
            ClusterEventKind.VmStateChanged when clusterEvent.PowerState is { } power
                => await ChangeVmAsync(cluster, clusterEvent.Node, clusterEvent, vm => vm with { PowerState = power }, cancellationToken),
            _ => false,
        };

        foreach (var observer in observers)
        {
            await observer.OnClusterEventAsync(cluster, clusterEvent, cancellationToken);
        }

        return changed;
    }

    /// <summary>
    /// The request a result or progress report is about, read from the reporting node's partition (through the id
    /// index when it is not there); null, logged as ignored, when it is unknown, terminal or waits on another command.
    /// </summary>
    private async Task<StoredRequest?> ReadOpenRequestAsync(Envelope envelope, string requestId, string kind, string commandId, CancellationToken cancellationToken, bool acceptTimedOut = false)
    {
        var stored = await requests.GetAsync(envelope.Cluster, envelope.Node, requestId, cancellationToken)
            ?? await requests.GetAsync(requestId, cancellationToken);
        var request = stored?.Request;

        // Only the command's own node completes it (checked before, and again on every re-read); a TimedOut request
        // takes its late result, so the record says what the host did.
        if (request is null
            || !SameName(request.Cluster, envelope.Cluster)
            || !SameName(request.Node, envelope.Node)
            || (request.IsTerminal && !(acceptTimedOut && request.Status == RequestStatus.TimedOut))
            || !string.Equals(request.CommandId, commandId, StringComparison.Ordinal))
        {
            LogIgnored(logger, kind, commandId, requestId, request?.Status);
            return null;
        }

        return stored;
    }

    /// <summary>Applies an event to the VM in the node's stored snapshot, unless the snapshot was taken after it.</summary>
    private Task<bool> ChangeVmAsync(
        string cluster,
        string node,
        ClusterEvent clusterEvent,
        Func<Contracts.Inventory.VmInventory, Contracts.Inventory.VmInventory?> change,
        CancellationToken cancellationToken)
        => inventory.ChangeAsync(cluster, node, stored =>
        {
            if (stored is null || stored.TakenAt >= clusterEvent.OccurredAt)
            {
                return null;
            }

            var vm = stored.Vms.FirstOrDefault(v => v.Id == clusterEvent.VmId);
            if (vm is null)
            {
                return null;
            }

            var replacement = change(vm);
            var vms = stored.Vms.Where(v => v != vm).ToList();
            if (replacement is not null)
            {
                vms.Add(replacement);
            }

            return stored with { Vms = vms };
        }, cancellationToken);

    /// <summary>Cluster and node names compare as their stored keys do (lower case).</summary>
    private static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Warning, Message = "Refused {MessageType} {ReportId} from {Cluster}/{Node}: {Code}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string messageType, string reportId, string cluster, string node, string code, string reason);

    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Ignored {Kind} of command {CommandId} for request {RequestId} (status {Status}): duplicate, late or unknown")]
    private static partial void LogIgnored(ILogger logger, string kind, string commandId, string requestId, RequestStatus? status);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Request {RequestId} completed by command {CommandId}: {Status}")]
    private static partial void LogCompleted(ILogger logger, string requestId, string commandId, RequestStatus status);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Kept the stored inventory of {Cluster}/{Node}: the snapshot taken at {TakenAt} is not newer")]
    private static partial void LogStaleSnapshot(ILogger logger, string cluster, string node, DateTimeOffset takenAt);
}
