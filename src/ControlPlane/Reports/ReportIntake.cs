using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Takes in what host runners report: results and progress move requests forward (never back, never twice),
/// snapshots replace older inventory and reconcile capacity, cluster events update inventory and reach the observers.
/// </summary>
public sealed partial class ReportIntake(
    InventoryStore inventory,
    RequestStore requests,
    IEnumerable<IClusterEventObserver> observers,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<ReportIntake> logger)
{
    private readonly int _maxAttempts = options.Value.MaxConcurrencyAttempts;

    /// <returns>True when the report changed stored state; false for duplicates, late and stale reports.</returns>
    public Task<bool> HandleAsync(Message report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Body switch
        {
            CommandResult result => ApplyResultAsync(report.Envelope, result, cancellationToken),
            CommandProgress progress => ApplyProgressAsync(report.Envelope, progress, cancellationToken),
            InventorySnapshot snapshot => ApplySnapshotAsync(report.Envelope.Cluster, snapshot.Inventory, cancellationToken),
            ClusterEvent clusterEvent => ApplyEventAsync(report.Envelope.Cluster, clusterEvent, cancellationToken),
            _ => throw new ArgumentException($"{report.Envelope.MessageType} is not a report.", nameof(report)),
        };
    }

    public async Task<bool> ApplyResultAsync(Envelope envelope, CommandResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(result);
        var changed = false;
        if (envelope.CorrelationId is { } requestId)
        {
            changed = await OptimisticRetry.RunAsync(_maxAttempts, $"Applying result {result.CommandId}", async () =>
            {
                var stored = await ReadOpenRequestAsync(envelope, requestId, "result", result.CommandId, cancellationToken);
                if (stored is null)
                {
                    return false;
                }

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
                };
                var ledger = await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken);
                // The inventory-after is read before the result is stamped complete: dating the release by it lets
                // that snapshot (applied below) reconcile the figure instead of being ignored as older than it.
                var released = ledger?.Ledger.Release(request.Id, status == RequestStatus.Succeeded, result.InventoryAfter?.TakenAt ?? result.CompletedAt);
                await requests.UpdateAsync(stored, updated, ledger, released, result.CommandId, cancellationToken);
                LogCompleted(logger, request.Id, result.CommandId, status);
                return true;
            });
        }

        if (result.InventoryAfter is { } after)
        {
            changed |= await ApplySnapshotAsync(envelope.Cluster, after, cancellationToken);
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
    private async Task<StoredRequest?> ReadOpenRequestAsync(Envelope envelope, string requestId, string kind, string commandId, CancellationToken cancellationToken)
    {
        var stored = await requests.GetAsync(envelope.Cluster, envelope.Node, requestId, cancellationToken)
            ?? await requests.GetAsync(requestId, cancellationToken);
        var request = stored?.Request;
        if (request is null || request.IsTerminal || !string.Equals(request.CommandId, commandId, StringComparison.Ordinal))
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

    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Ignored {Kind} of command {CommandId} for request {RequestId} (status {Status}): duplicate, late or unknown")]
    private static partial void LogIgnored(ILogger logger, string kind, string commandId, string requestId, RequestStatus? status);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Request {RequestId} completed by command {CommandId}: {Status}")]
    private static partial void LogCompleted(ILogger logger, string requestId, string commandId, RequestStatus status);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Kept the stored inventory of {Cluster}/{Node}: the snapshot taken at {TakenAt} is not newer")]
    private static partial void LogStaleSnapshot(ILogger logger, string cluster, string node, DateTimeOffset takenAt);
}
