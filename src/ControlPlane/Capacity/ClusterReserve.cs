using System.Globalization;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// The cluster's capacity as admission sees it, for checking a grant against the policy's reserve. Free partitions
/// come from each node's ledger less its assignments in flight (and less holds not yet in a ledger); GPU VMs are the
/// clustered partition holders of the stored inventory plus those in-flight assignments, so reservations in flight
/// count against headroom. Like <see cref="FailoverHeadroom"/>, free partitions on GPUs whose device reports a problem
/// (in the last inventory) don't count; unlike it (read-only, per GPU model) this counts partitions regardless of
/// model: a cluster is homogeneous by rule, and the ledger, which is what ETags guard, keeps one free figure per node. No public source says how Failover Clustering picks among nodes with
/// free partitions; n+1 here only asks that the partitions exist somewhere on the surviving nodes.
/// </summary>
public sealed record ClusterReserve(string Cluster, IReadOnlyList<NodeReserveFigures> Nodes)
{
    /// <summary>Free partitions across the cluster after the requests in flight.</summary>
    public int Free => Nodes.Sum(n => n.Free);

    public static ClusterReserve From(ClusterInventory inventory, IReadOnlyList<NodeLedger> ledgers, IEnumerable<CapacityHold> holds)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(ledgers);
        var pending = holds.Where(h => !ledgers.Any(l => string.Equals(l.Node, h.Node, StringComparison.OrdinalIgnoreCase) && l.Shows(h.RequestId))).ToList();
        var nodes = inventory.Nodes.OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).Select(node =>
        {
            var ledger = ledgers.FirstOrDefault(l => string.Equals(l.Node, node.Node, StringComparison.OrdinalIgnoreCase))
                ?? NodeLedger.FromInventory(inventory.Cluster, node);
            var held = pending.Count(h => string.Equals(h.Node, node.Node, StringComparison.OrdinalIgnoreCase));
            var holders = node.Vms.Where(vm => vm.IsClustered && vm.HasPartition).Select(vm => vm.Id).ToHashSet();
            var assigning = ledger.Reservations.Count(r => r.Action == PartitionAction.Assign && !(r.VmId is { } id && holders.Contains(id)));
            // Free partitions on a GPU whose device reports a problem (in the last inventory) can't take a restarted
            // VM: they are no headroom, as FailoverHeadroom counts it.
            var unusable = node.Gpus.Where(g => !FailoverHeadroom.IsHealthy(g)).Sum(g => g.FreePartitions);
            return new NodeReserveFigures(node.Node, Math.Max(0, ledger.AvailablePartitions - held - unusable), holders.Count + assigning + held);
        }).ToList();
        return new ClusterReserve(inventory.Cluster, nodes);
    }

    /// <summary>The capacity after one more partition is taken on <paramref name="node"/> for a VM failover would restart.</summary>
    public ClusterReserve AfterGrant(string node)
        => this with
        {
            Nodes = [.. Nodes.Select(n => string.Equals(n.Node, node, StringComparison.OrdinalIgnoreCase) ? n with { Free = n.Free - 1, GpuVms = n.GpuVms + 1 } : n)],
        };

    /// <summary>
    /// Why granting one partition on <paramref name="node"/> would break the reserve, with the figures; null when
    /// the reserve still holds afterwards (or the policy keeps none).
    /// </summary>
    public RequestNotice? CheckGrant(string node, ReserveMode mode, int? fixedPartitions)
    {
        var after = AfterGrant(node);
        switch (mode)
        {
            case ReserveMode.Fixed when fixedPartitions is { } keep && after.Free < keep:
                return new RequestNotice(
                    RequestCodes.HeadroomReserved,
                    string.Create(CultureInfo.InvariantCulture, $"Assigning a partition on node {node} would break cluster {Cluster}'s reserve: {Free} partition(s) free now (after requests in flight), {keep} reserved by policy (reserve fixed), {after.Free} would remain."));
            case ReserveMode.NPlusOne when after.Shortest() is { Short: > 0 } worst:
                return new RequestNotice(
                    RequestCodes.HeadroomReserved,
                    string.Create(CultureInfo.InvariantCulture, $"Assigning a partition on node {node} would break cluster {Cluster}'s reserve (n+1): {Free} partition(s) free now (after requests in flight); losing node {worst.Node} would need {worst.Needed} free partition(s) on the other nodes for its {worst.Needed} GPU VM(s), and {worst.Elsewhere} would remain there after this grant."));
            default:
                return null;
        }
    }

    /// <summary>
    /// How the reserve fails to hold as things stand (not after a grant, unlike <see cref="CheckGrant"/>); null when it
    /// holds or the policy keeps none. The same figures admission checks, so compliance reports a breach exactly when
    /// these capacities would already be below what admission keeps back.
    /// </summary>
    public ReserveBreach? Breach(ReserveMode mode, int? fixedPartitions)
    {
        switch (mode)
        {
            case ReserveMode.Fixed when fixedPartitions is { } keep && Free < keep:
                return new ReserveBreach(
                    string.Create(CultureInfo.InvariantCulture, $"{Free} partition(s) free across the cluster, below the {keep} its policy reserves (reserve fixed)."),
                    null);
            case ReserveMode.NPlusOne when Shortest() is { Short: > 0 } worst:
                return new ReserveBreach(
                    string.Create(CultureInfo.InvariantCulture, $"Below the policy's reserve (n+1): losing node {worst.Node} would need {worst.Needed} free partition(s) on the other nodes for its {worst.Needed} GPU VM(s), and {worst.Elsewhere} are free there."),
                    worst.Node);
            default:
                return null;
        }
    }

    /// <summary>Whether the reserve holds as things stand.</summary>
    public bool Satisfies(ReserveMode mode, int? fixedPartitions) => mode switch
    {
        ReserveMode.Fixed => Free >= (fixedPartitions ?? 0),
        ReserveMode.NPlusOne => Shortest().Short == 0,
        _ => true,
    };

    /// <summary>The node whose loss would leave the most GPU VMs without a partition elsewhere (ties: the one with most GPU VMs, then by name).</summary>
    private (string Node, int Needed, int Elsewhere, int Short) Shortest()
    {
        var total = Free;
        return Nodes
            .Select(n => (n.Node, Needed: n.GpuVms, Elsewhere: total - n.Free, Short: Math.Max(0, n.GpuVms - (total - n.Free))))
            .OrderByDescending(x => x.Short)
            .ThenByDescending(x => x.Needed)
            .FirstOrDefault();
    }
}
