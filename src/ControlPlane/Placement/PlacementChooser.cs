using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>
/// Where a VM whose node has no free partition could get one instead, in the order the cluster policy's strategy
/// prefers, and how it would move there. Pure: admission then tries each candidate on its ledger (and the reserve) in
/// that order, so a candidate here is a proposal, never a grant.
/// <para>
/// How it moves: the VM asks for a partition, so it holds none yet and moves as any clustered VM does — a VM that is
/// off by a quick move of its cluster group, a running VM by live migration under <c>moves: live-migrate</c> (GPU-P's
/// own live-migration prerequisites, OS build 26100+ and NVIDIA vGPU 18+, apply to VMs that hold a partition:
/// learn.microsoft.com/windows-server/virtualization/hyper-v/gpu-partitioning), or under <c>moves: when-off</c> by
/// shutting it down, moving it and starting it with its partition. The assignment turns the VM off to add the adapter
/// (as Windows Admin Center and the Azure Local CLI do; whether a host refuses a hot add is unconfirmed:
/// shared/reference/hyperv-wmi.md), so a live-migrated VM stops once, and a VM shut down for the move stays off until
/// the assignment starts it.
/// </para>
/// </summary>
public static class PlacementChooser
{
    public static PlacementChoice Choose(
        ClusterInventory cluster,
        NodeInventory from,
        VmInventory vm,
        IReadOnlyDictionary<string, NodeLedger> ledgers,
        ProvisioningPolicy policy,
        DateTimeOffset now,
        TimeSpan inventoryMaxAge)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(ledgers);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Moves == MovePolicy.Never)
        {
            return PlacementChoice.None("the cluster policy doesn't move VMs (moves: never)");
        }

        if (!vm.IsClustered)
        {
            return PlacementChoice.None($"VM '{vm.Name}' is not a cluster resource, so it can't move to another node");
        }

        if (vm.PowerState is not (VmPowerState.Off or VmPowerState.Running or VmPowerState.Saved))
        {
            return PlacementChoice.None($"VM '{vm.Name}' is {vm.PowerState}; it moves only when Running, Off or Saved");
        }

        var candidates = new List<(NodeInventory Node, int Available)>();
        var skipped = new List<string>();
        foreach (var node in cluster.Nodes.Where(n => !string.Equals(n.Node, from.Node, StringComparison.OrdinalIgnoreCase)))
        {
            var ledger = ledgers.TryGetValue(node.Node, out var stored) ? stored : NodeLedger.FromInventory(cluster.Cluster, node);
            if (now - node.TakenAt > inventoryMaxAge)
            {
                // A node that stopped reporting may be down: the cluster would refuse the move, or the agent never run the assign.
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"{node.Node} (inventory {(int)(now - node.TakenAt).TotalMinutes} minutes old)"));
            }
            else if (ledger.Reservations.Any(r => r.Action == PartitionAction.ConfigurePartitionCount))
            {
                skipped.Add($"{node.Node} (changing its partition count)");
            }
            else if (!node.Gpus.Any(g => g.AssignedStatus == GpuAssignedStatus.Partitioned))
            {
                skipped.Add($"{node.Node} (no partitioned GPU)");
            }
            else if (ledger.AvailablePartitions > 0)
            {
                candidates.Add((node, ledger.AvailablePartitions));
            }
        }

        if (candidates.Count == 0)
        {
            return PlacementChoice.None(skipped.Count == 0
                ? "no other node has a free partition"
                : $"no other node has a free partition (not considered: {string.Join(", ", skipped)})");
        }

        var ordered = policy.Strategy == PlacementStrategy.Pack
            ? candidates.OrderBy(c => c.Available)
            : candidates.OrderByDescending(c => c.Available);
        var (mode, how) = HowToMove(vm, policy.Moves);
        var strategy = policy.Strategy == PlacementStrategy.Pack
            ? "strategy pack: the node with the fewest free partitions that has one"
            : "strategy spread: the node with the most free partitions";
        return new PlacementChoice(
            [.. ordered.ThenBy(c => c.Node.Node, StringComparer.OrdinalIgnoreCase).Select(c => new PlacementCandidate(
                c.Node.Node,
                mode,
                string.Create(CultureInfo.InvariantCulture, $"{from.Node} has no free partition; {c.Node.Node} has {c.Available} ({strategy}). {how}")))],
            null);
    }

    private static (MoveMode Mode, string How) HowToMove(VmInventory vm, MovePolicy moves) => vm.PowerState switch
    {
        VmPowerState.Running when moves == MovePolicy.LiveMigrate => (MoveMode.Live, "The VM is Running and holds no partition yet: it live-migrates (shut down, moved and started if the cluster refuses), then is stopped once for its partition and started."),
        VmPowerState.Running => (MoveMode.Quick, "The VM is Running and moves only while off (moves: when-off): it is shut down, moved, given its partition and started."),
        _ => (MoveMode.Quick, $"The VM is {vm.PowerState}: its cluster group moves (quick), then it gets its partition."),
    };
}
