using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.HostRunner.Reporting;

/// <summary>
/// The cluster events between two successive inventories of one node. A VM that left this node for another
/// node of the cluster is a move, reported by the node it left (which sees both ends: itself and the cluster
/// resource's new owner); the node it arrived on reports nothing for it. Any other VM that appears is created,
/// any other that disappears is removed.
/// </summary>
public static class ClusterEventDetector
{
    /// <param name="ownersBefore">VM id → owner node per the cluster when <paramref name="previous"/> was taken.</param>
    /// <param name="ownersNow">VM id → owner node per the cluster now.</param>
    public static IReadOnlyList<ClusterEvent> Compare(
        NodeInventory previous,
        NodeInventory current,
        IReadOnlyDictionary<Guid, string> ownersBefore,
        IReadOnlyDictionary<Guid, string> ownersNow)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(ownersBefore);
        ArgumentNullException.ThrowIfNull(ownersNow);
        var node = current.Node;
        var at = current.TakenAt;
        var before = previous.Vms.ToDictionary(v => v.Id);
        var now = current.Vms.ToDictionary(v => v.Id);
        var events = new List<ClusterEvent>();
        foreach (var vm in current.Vms)
        {
            if (!before.TryGetValue(vm.Id, out var old))
            {
                var movedIn = ownersBefore.TryGetValue(vm.Id, out var from) && !string.Equals(from, node, StringComparison.OrdinalIgnoreCase);
                if (!movedIn)
                {
                    events.Add(new ClusterEvent(ClusterEventKind.VmCreated, node, at, vm.Name, vm.Id, PowerState: vm.PowerState, Notes: vm.Notes));
                }
            }
            else if (old.PowerState != vm.PowerState)
            {
                events.Add(new ClusterEvent(ClusterEventKind.VmStateChanged, node, at, vm.Name, vm.Id, PowerState: vm.PowerState));
            }
        }

        foreach (var vm in previous.Vms.Where(v => !now.ContainsKey(v.Id)))
        {
            events.Add(ownersNow.TryGetValue(vm.Id, out var owner) && !string.Equals(owner, node, StringComparison.OrdinalIgnoreCase)
                ? new ClusterEvent(ClusterEventKind.VmMoved, owner, at, vm.Name, vm.Id, FromNode: node, PowerState: vm.PowerState)
                : new ClusterEvent(ClusterEventKind.VmRemoved, node, at, vm.Name, vm.Id));
        }

        return events;
    }

    /// <summary>Whether anything an operator or the control plane cares about differs (the time taken doesn't count).</summary>
    public static bool Differs(NodeInventory? previous, NodeInventory current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (previous is null)
        {
            return true;
        }

        return !SameHost(previous.Host, current.Host)
            || previous.Gpus.Count != current.Gpus.Count
            || previous.Vms.Count != current.Vms.Count
            || !previous.Gpus.Zip(current.Gpus).All(p => SameGpu(p.First, p.Second))
            || !previous.Vms.Zip(current.Vms).All(p => SameVm(p.First, p.Second));
    }

    /// <summary>Field by field: the lists are new on every read, so record equality would call every read a change.</summary>
    private static bool SameHost(HostFacts a, HostFacts b)
        => a with { IovSupportReasons = null, GpuPPrerequisiteProblems = null } == b with { IovSupportReasons = null, GpuPPrerequisiteProblems = null }
            && (a.IovSupportReasons ?? []).SequenceEqual(b.IovSupportReasons ?? [])
            && (a.GpuPPrerequisiteProblems ?? []).SequenceEqual(b.GpuPPrerequisiteProblems ?? []);

    private static bool SameGpu(GpuInventory a, GpuInventory b)
        => a.InstancePath == b.InstancePath && a.PartitionCount == b.PartitionCount && a.AssignedStatus == b.AssignedStatus
            && a.PnpStatus == b.PnpStatus && a.PnpErrorCode == b.PnpErrorCode && a.Driver == b.Driver && a.Partitions.SequenceEqual(b.Partitions);

    private static bool SameVm(VmInventory a, VmInventory b)
        => a.Id == b.Id && a.Name == b.Name && a.PowerState == b.PowerState && a.OfflineAction == b.OfflineAction
            && a.IsClustered == b.IsClustered && a.Notes == b.Notes && a.PartitionAdapters.SequenceEqual(b.PartitionAdapters);
}
