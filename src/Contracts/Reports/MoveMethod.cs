namespace GpuAutomation.Contracts.Reports;

/// <summary>How a VM got to the node a <see cref="VmPlacement"/> names.</summary>
public enum MoveMethod
{
    /// <summary>It was there already: nothing moved.</summary>
    AlreadyThere = 0,

    /// <summary>Its cluster group moved while the VM was off or saved.</summary>
    Quick,

    /// <summary>It live-migrated while running.</summary>
    Live,

    /// <summary>It was shut down, its cluster group moved, and it was started on the target.</summary>
    StopMoveStart,
}
