namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Stable codes of request rejections and warnings; clients may switch on them.</summary>
public static class RequestCodes
{
    public const string InvalidName = "invalid-name";
    public const string UnknownCluster = "unknown-cluster";
    public const string UnknownNode = "unknown-node";
    public const string NodeRequired = "node-required";
    public const string UnknownVm = "unknown-vm";
    public const string VmAmbiguous = "vm-ambiguous";
    public const string VmHasPartition = "vm-has-partition";
    public const string VmHasNoPartition = "vm-has-no-partition";
    public const string VmBusy = "vm-busy";
    public const string UnknownGpu = "unknown-gpu";
    public const string InvalidPartitionCount = "invalid-partition-count";
    public const string ClusterHeterogeneous = "cluster-heterogeneous";
    public const string PartitionsAssigned = "partitions-assigned";
    public const string GpuNotPartitioned = "gpu-not-partitioned";
    public const string NoPartitionableGpu = "no-partitionable-gpu";
    public const string NoFreePartition = "no-free-partition";
    public const string NodeBusy = "node-busy";
    public const string VmNotClustered = "vm-not-clustered";
    public const string InvalidOfflineAction = "invalid-offline-action";

    /// <summary>Warning: the change covers only part of the cluster's homogeneous GPU set.</summary>
    public const string PartialSelection = "partial-selection";

    /// <summary>Warning: the node's last inventory is older than the configured age.</summary>
    public const string InventoryStale = "inventory-stale";

    /// <summary>No result arrived within the configured time.</summary>
    public const string TimedOut = "timed-out";

    /// <summary>Another submission with the same idempotency key is still being written; retry shortly.</summary>
    public const string IdempotencyKeyInFlight = "idempotency-key-in-flight";
}
