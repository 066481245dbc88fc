using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.HyperV;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Reporting;

/// <summary>
/// Reads the node's inventory, sends an <see cref="InventorySnapshot"/> (always, except for a change check
/// that found nothing new) and the <see cref="ClusterEvent"/>s since the previous inventory. One at a time.
/// </summary>
public sealed partial class InventoryReporter(HyperVHost host, ReportPublisher publisher, ILogger<InventoryReporter> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NodeInventory? _last;
    private IReadOnlyDictionary<Guid, string> _ownersBeforeLast = new Dictionary<Guid, string>();

    public NodeInventory? Last => _last;

    /// <summary>Reads and reports; returns the inventory read. <paramref name="known"/> is an inventory just read by the caller.</summary>
    public async Task<NodeInventory> ReportAsync(InventoryReason reason, NodeInventory? known, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Owners are read on both sides of the inventory, so a VM that moves while it is read is still seen as a
            // move by both nodes: the one it arrived on compares with owners from before its previous inventory (the
            // old owner), the one it left compares with owners from after this one (the new owner).
            var ownersBefore = await ReadOwnersAsync(cancellationToken);
            var current = known ?? await host.Inventory.ReadAsync(cancellationToken);
            var ownersAfter = await ReadOwnersAsync(cancellationToken);
            var changed = ClusterEventDetector.Differs(_last, current);
            if (reason != InventoryReason.ChangeCheck || changed)
            {
                await publisher.PublishAsync(new InventorySnapshot(current), null, cancellationToken);
                LogSnapshot(reason, current.Gpus.Count, current.Vms.Count, changed);
            }

            if (_last is not null)
            {
                foreach (var e in ClusterEventDetector.Compare(_last, current, _ownersBeforeLast, ownersAfter))
                {
                    await publisher.PublishAsync(e, null, cancellationToken);
                    LogEvent(e.Kind, e.VmName, e.VmId, e.Node, e.FromNode);
                }
            }

            _last = current;
            _ownersBeforeLast = ownersBefore;
            return current;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyDictionary<Guid, string>> ReadOwnersAsync(CancellationToken cancellationToken)
        => (await host.Cluster.ListVmResourcesAsync(cancellationToken))
            .Where(r => r.Value.OwnerNode is { Length: > 0 })
            .ToDictionary(r => r.Key, r => r.Value.OwnerNode!);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Sent inventory snapshot ({Reason}): {Gpus} GPU(s), {Vms} VM(s), changed {Changed}")]
    private partial void LogSnapshot(InventoryReason reason, int gpus, int vms, bool changed);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Sent {Kind} for VM {VmName} ({VmId}) on {Node} from {FromNode}")]
    private partial void LogEvent(ClusterEventKind kind, string? vmName, Guid? vmId, string node, string? fromNode);
}
