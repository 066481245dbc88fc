namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>Stable codes of the compliance rules; findings, reports and the API use them.</summary>
public static class ComplianceRules
{
    public const string ClusterNotHomogeneous = "cluster-not-homogeneous";
    public const string PartitionCountInvalid = "partition-count-invalid";
    public const string OfflineActionNotForcedShutdown = "offline-action-not-forced-shutdown";
    public const string VmHasMultiplePartitions = "vm-multiple-partitions";
    public const string PartitionOnForeignNode = "partition-on-foreign-node";
    public const string GpuDeviceUnhealthy = "gpu-device-unhealthy";
    public const string GpuNotPartitioned = "gpu-not-partitioned";
    public const string PolicyVmWithoutPartition = "policy-vm-without-partition";
    public const string PartitionNotSelectedByPolicy = "partition-not-selected-by-policy";
    public const string NodeInventoryStale = "node-inventory-stale";

    /// <summary>Warning: the cluster's GPUs run different host driver versions.</summary>
    public const string GpuDriverVersionsDiffer = "gpu-driver-versions-differ";

    /// <summary>Error: a node's platform can't run GPU-P as read (IOVSupport false, or the OS misses the GPU-P prerequisites).</summary>
    public const string NodePlatformNotReady = "node-platform-not-ready";

    /// <summary>Losing this node would leave some of its clustered GPU VMs without a partition on the others.</summary>
    public const string FailoverCapacityShort = "failover-capacity-short";

    /// <summary>
    /// The cluster is below its policy's reserve (fixed or n+1) as last reported: an error when the policy refuses
    /// grants that break it, a warning when it only warns.
    /// </summary>
    public const string ReserveBreached = "reserve-breached";
}
