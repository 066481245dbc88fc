namespace GpuAutomation.Contracts.Inventory;

/// <summary>How a physical GPU can be used, as Windows Admin Center labels it.</summary>
public enum GpuAssignedStatus
{
    /// <summary>A DDA-capable device that is not partitioned.</summary>
    ReadyForDda,

    /// <summary>Listed as partitionable with SR-IOV usable: partitions can be assigned.</summary>
    Partitioned,

    /// <summary>Partition driver present but SR-IOV off: not usable for GPU-P.</summary>
    Paravirtualization,

    NotAssignable,
}
