namespace GpuAutomation.Functions.Api;

/// <summary>
/// What the clusters API reads from the control plane core. Called only with validated names; answers the HTTP
/// result itself (200 with the model, or problem+json such as 404 unknown-cluster), so the core's model types stay its own.
/// </summary>
public interface IClusterQueries
{
    Task<IResult> ListClustersAsync(CancellationToken cancellationToken);

    /// <summary>Nodes, GPUs with assigned status and partitions, VMs with partition and OfflineAction, inventory age.</summary>
    Task<IResult> GetInventoryAsync(string cluster, CancellationToken cancellationToken);
}
