using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Cluster;

/// <summary>An MSCluster_ResourceGroup as read: the role a clustered VM is (normally named after the VM).</summary>
public sealed record ClusterGroup(string Name, string? OwnerNode, ClusterGroupState State, CimInstancePath Path)
{
    public bool IsOwnedBy(string node) => string.Equals(OwnerNode, node, StringComparison.OrdinalIgnoreCase);
}
