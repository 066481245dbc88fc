using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>Read side of the stored inventory for the API and portal.</summary>
public sealed class InventoryQueries(InventoryStore inventory, RequestStore requests)
{
    public Task<IReadOnlyList<ClusterSummary>> ListClustersAsync(CancellationToken cancellationToken)
        => inventory.ListClustersAsync(cancellationToken);

    /// <summary>The cluster's nodes as last reported; null when no node of it has reported.</summary>
    public async Task<ClusterInventory?> GetClusterAsync(string cluster, CancellationToken cancellationToken)
    {
        if (!ResourceNames.IsValidHostName(cluster))
        {
            return null;
        }

        var view = await inventory.GetClusterAsync(cluster, cancellationToken);
        return view.Nodes.Count == 0 ? null : view;
    }

    public async Task<NodeInventory?> GetNodeAsync(string cluster, string node, CancellationToken cancellationToken)
        => ResourceNames.IsValidHostName(cluster) && ResourceNames.IsValidHostName(node)
            ? (await inventory.GetNodeAsync(cluster, node, cancellationToken))?.Inventory
            : null;

    /// <summary>
    /// The node's capacity as admission sees it: free partitions as last known and the requests in flight
    /// (<see cref="NodeLedger.AvailablePartitions"/> is what a new assign can get); null before the node's first snapshot.
    /// </summary>
    public async Task<NodeLedger?> GetCapacityAsync(string cluster, string node, CancellationToken cancellationToken)
        => ResourceNames.IsValidHostName(cluster) && ResourceNames.IsValidHostName(node)
            ? (await requests.GetLedgerAsync(cluster, node, cancellationToken))?.Ledger
            : null;
}
