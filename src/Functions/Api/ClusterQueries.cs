using GpuAutomation.Functions.Inventory;

namespace GpuAutomation.Functions.Api;

/// <summary><see cref="IClusterQueries"/> over the stored inventory.</summary>
public sealed class ClusterQueries(InventoryQueries inventory, TimeProvider time) : IClusterQueries
{
    public async Task<IResult> ListClustersAsync(CancellationToken cancellationToken)
    {
        var clusters = await inventory.ListClustersAsync(cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new ClusterListView([.. clusters.OrderBy(c => c.Cluster, StringComparer.OrdinalIgnoreCase).Select(c => ApiViews.Summary(c, now))]));
    }

    public async Task<IResult> GetInventoryAsync(string cluster, CancellationToken cancellationToken)
        => await inventory.GetClusterAsync(cluster, cancellationToken) is { } view
            ? TypedResults.Ok(ApiViews.Inventory(view, time.GetUtcNow()))
            : RequestProblems.UnknownCluster(cluster);
}
