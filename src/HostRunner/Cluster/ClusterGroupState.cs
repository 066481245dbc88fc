namespace GpuAutomation.HostRunner.Cluster;

/// <summary>
/// MSCluster_ResourceGroup.State as CLUSTER_GROUP_STATE (learn.microsoft.com/previous-versions/windows/desktop/mscs/
/// clusresgroup-state: -1 unknown, 0 online, 1 offline, 2 failed, 3 partial online, 4 pending). clusapi.h's page
/// numbers the same states from 206; which numbering root\MSCluster reports is not documented, so both are read.
/// </summary>
public enum ClusterGroupState
{
    Unknown = -1,
    Online = 0,
    Offline = 1,
    Failed = 2,
    PartialOnline = 3,
    Pending = 4,
}
