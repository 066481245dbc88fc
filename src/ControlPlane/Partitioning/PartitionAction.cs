namespace GpuAutomation.ControlPlane.Partitioning;

public enum PartitionAction
{
    Assign,
    Unassign,
    ConfigurePartitionCount,

    /// <summary>Set the OfflineAction of a clustered VM's cluster resource (compliance remediation, policy).</summary>
    SetOfflineAction,

    /// <summary>
    /// Move a clustered VM to another node of its cluster so that an assignment can follow there (a placement: see
    /// <see cref="PartitionRequest.Placement"/>). Only the control plane asks for it.
    /// </summary>
    Move,
}
