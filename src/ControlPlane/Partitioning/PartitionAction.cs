namespace GpuAutomation.ControlPlane.Partitioning;

public enum PartitionAction
{
    Assign,
    Unassign,
    ConfigurePartitionCount,

    /// <summary>Set the OfflineAction of a clustered VM's cluster resource (compliance remediation, policy).</summary>
    SetOfflineAction,
}
