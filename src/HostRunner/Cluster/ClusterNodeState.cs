namespace GpuAutomation.HostRunner.Cluster;

/// <summary>
/// MSCluster_Node.State as CLUSTER_NODE_STATE (learn.microsoft.com/windows/win32/api/clusapi/ne-clusapi-cluster_node_state:
/// -1 unknown, 0 up, 1 down, 2 paused, 3 joining). Only an Up node takes a group.
/// </summary>
public enum ClusterNodeState
{
    Unknown = -1,
    Up = 0,
    Down = 1,
    Paused = 2,
    Joining = 3,
}
