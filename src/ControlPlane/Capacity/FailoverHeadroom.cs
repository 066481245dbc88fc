using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// Whether the cluster could restart the GPU VMs of any one node on the others. Failover Clustering restarts a GPU-P
/// VM "where GPU resources are available" (learn.microsoft.com/windows-server/virtualization/hyper-v/gpu-partitioning),
/// so a node's clustered partition-holding VMs need that many free partitions on the other
/// nodes, on GPUs of the same model (a partition is a slice of one GPU model; a cluster is kept homogeneous, but a
/// mixed one is counted per model). Which VMs the cluster would restart first is its own choice (VM priority), so a
/// shortfall is reported as a count over the node's GPU VMs, not as a list of losers. Read-only: reservations of
/// requests in flight are not subtracted (they use partitions the inventory still shows free).
/// </summary>
/// <param name="Losses">One per node, in node order.</param>
public sealed record FailoverHeadroom(string Cluster, IReadOnlyList<NodeLoss> Losses)
{
    /// <summary>True when the loss of any single node would leave every clustered GPU VM a partition (N+1).</summary>
    public bool SurvivesAnyNodeLoss => Losses.All(l => !l.StrandsVms);

    /// <summary>The node whose loss leaves the fewest partitions to spare (or strands the most VMs); null without nodes.</summary>
    public NodeLoss? Worst => Losses.OrderByDescending(l => l.Short).ThenBy(l => l.FreeElsewhere - l.GpuVms.Count).FirstOrDefault();

    public static FailoverHeadroom Compute(string cluster, IReadOnlyList<NodeInventory> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        return Compute(cluster, [.. nodes.Select(CapacityOf)]);
    }

    /// <summary>
    /// The same over nodes given as their free partitions and GPU VMs per model (a rollout plan's stages): linear in
    /// nodes, since what is free elsewhere is the cluster's free partitions of the model less the node's own.
    /// </summary>
    public static FailoverHeadroom Compute(string cluster, IReadOnlyList<NodeCapacity> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var freeByModel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, free) in nodes.SelectMany(n => n.FreeByModel))
        {
            freeByModel[model] = freeByModel.GetValueOrDefault(model) + free;
        }

        var freeAll = freeByModel.Values.Sum();
        var losses = nodes.OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).Select(node =>
        {
            var ownAll = node.FreeByModel.Values.Sum();
            var vmsByModel = node.GpuVms.GroupBy(vm => vm.Model, StringComparer.OrdinalIgnoreCase).ToList();
            var free = 0;
            var shortBy = 0;
            foreach (var group in vmsByModel)
            {
                // A VM whose model the host didn't say can restart on any model.
                var freeOfModel = group.Key.Length == 0
                    ? freeAll - ownAll
                    : freeByModel.GetValueOrDefault(group.Key) - node.FreeByModel.GetValueOrDefault(group.Key);
                free += freeOfModel;
                shortBy += Math.Max(0, group.Count() - freeOfModel);
            }

            var names = node.GpuVms.Select(vm => vm.Name).Order(StringComparer.OrdinalIgnoreCase).ToList();
            return new NodeLoss(node.Node, names, vmsByModel.Count == 0 ? freeAll - ownAll : free, shortBy);
        }).ToList();
        return new FailoverHeadroom(cluster, losses);
    }

    /// <summary>A node's free partitions on healthy GPUs per model, and its clustered VMs holding a partition.</summary>
    public static NodeCapacity CapacityOf(NodeInventory node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var free = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var gpu in node.Gpus.Where(IsHealthy))
        {
            free[gpu.Model] = free.GetValueOrDefault(gpu.Model) + gpu.FreePartitions;
        }

        return new NodeCapacity(node.Node, free, [.. node.Vms.Where(vm => vm.IsClustered && vm.HasPartition).Select(vm => new GpuVm(vm.Name, ModelOf(node, vm)))]);
    }

    /// <summary>The model of the GPU the VM's partition is on; empty when the host didn't say (any model then counts).</summary>
    private static string ModelOf(NodeInventory node, VmInventory vm)
        => vm.PartitionAdapters
            .Select(a => node.Gpus.FirstOrDefault(g => string.Equals(g.InstancePath, a.GpuInstancePath, StringComparison.OrdinalIgnoreCase))?.Model)
            .FirstOrDefault(m => m is not null)
            ?? string.Empty;

    /// <summary>
    /// A GPU whose device reports a problem can't host a restarted VM's partition (admission's reserve uses the same
    /// rule: <see cref="ClusterReserve"/>). No public source found says how Failover Clustering treats a GPU-P VM whose
    /// target node's GPU is in error; counting such a GPU as no headroom is the cautious reading.
    /// </summary>
    internal static bool IsHealthy(GpuInventory gpu)
        => gpu.PnpErrorCode == 0 && string.Equals(gpu.PnpStatus, "OK", StringComparison.OrdinalIgnoreCase);
}
