using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>The latest stored snapshot of every node of a cluster.</summary>
public sealed record ClusterInventory(string Cluster, IReadOnlyList<NodeInventory> Nodes)
{
    public NodeInventory? FindNode(string node)
        => Nodes.FirstOrDefault(n => string.Equals(n.Node, node, StringComparison.OrdinalIgnoreCase));

    /// <summary>GPUs that can be partitioned at all (they list valid partition counts), with their node.</summary>
    public IEnumerable<(string Node, GpuInventory Gpu)> PartitionableGpus
        => Nodes.SelectMany(n => n.Gpus.Where(g => g.ValidPartitionCounts.Count > 0).Select(g => (n.Node, g)));

    public int FreePartitions => Nodes.Sum(n => n.Gpus.Sum(g => g.FreePartitions));

    public int TotalPartitions => Nodes.Sum(n => n.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).Sum(g => g.PartitionCount));
}
