namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>What fixing a finding takes; the first three become ordinary partition requests.</summary>
public enum RemediationKind
{
    SetOfflineAction,
    AssignPartition,
    UnassignPartition,

    /// <summary>Change a GPU's partition count: never automatic, it needs every partition on the GPU free.</summary>
    SetPartitionCount,

    /// <summary>Needs a person (driver, SR-IOV, BIOS, a silent host).</summary>
    Manual,
}
