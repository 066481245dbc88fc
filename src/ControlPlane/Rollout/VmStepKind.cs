namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>What a rollout does to one VM that holds a partition on a node being changed.</summary>
public enum VmStepKind
{
    /// <summary>Live-migrated to another node before the change, keeping its partition (no downtime expected).</summary>
    LiveMigrate,

    /// <summary>Stopped (if running), its cluster group moved to another node, started there again; keeps its partition.</summary>
    Move,

    /// <summary>Stopped (if running) and its partition removed; after the change its partition is added back on the same node and it is started again.</summary>
    StopInPlace,

    /// <summary>Stopped in place, then moved while off to a node with a free partition, because its own node has too few after the change.</summary>
    StopAndMoveAfter,

    /// <summary>Its partition is removed and not given back: the new count gives fewer partitions than VMs need.</summary>
    LosePartition,
}
