using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Cluster;

/// <summary>A VM's "Virtual Machine" MSCluster_Resource with its OfflineAction private property.</summary>
public sealed record ClusterVmResource(string Name, string OwnerGroup, string? OwnerNode, uint State, OfflineAction OfflineAction, CimInstancePath Path)
{
    /// <summary>The cluster's "Online" resource state.</summary>
    public const uint Online = 2;
}
