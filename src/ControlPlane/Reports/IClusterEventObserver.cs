using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Told of every cluster event a host reports, after the inventory took it in; the provisioning policy plugs in
/// here to turn VmCreated into a partition request. Register implementations in DI.
/// </summary>
public interface IClusterEventObserver
{
    Task OnClusterEventAsync(string cluster, ClusterEvent clusterEvent, CancellationToken cancellationToken);
}
