namespace GpuAutomation.Contracts.Reports;

/// <summary>
/// The one catalog of <see cref="CommandError.Code"/> values: what an agent reports and what the control plane stores on a
/// request. Both sides use these constants, so a code means the same on either side of the bus. Kebab-case, stable:
/// clients and operators switch on them.
/// </summary>
public static class CommandErrorCodes
{
    public const string Expired = "expired";
    public const string WrongNode = "wrong-node";
    public const string WrongCluster = "wrong-cluster";
    public const string UnknownVm = "unknown-vm";
    public const string VmAmbiguous = "vm-ambiguous";
    public const string VmHasPartition = "vm-has-partition";
    public const string VmHasNoPartition = "vm-has-no-partition";
    public const string VmBusy = "vm-busy";
    public const string VmNotClustered = "vm-not-clustered";
    public const string UnknownGpu = "unknown-gpu";
    public const string GpuNotPartitioned = "gpu-not-partitioned";
    public const string InvalidPartitionCount = "invalid-partition-count";
    public const string PartitionsAssigned = "partitions-assigned";
    public const string NoFreePartition = "no-free-partition";
    public const string HyperVJobFailed = "hyperv-job-failed";
    public const string HyperVJobTimeout = "hyperv-job-timeout";
    public const string HyperVStateTimeout = "hyperv-state-timeout";
    public const string VmNotOnNode = "vm-not-on-node";
    public const string VmRunning = "vm-running";
    public const string TargetNodeUnavailable = "target-node-unavailable";
    public const string UnknownNode = "unknown-node";
    public const string NotPossibleOwner = "not-possible-owner";
    public const string LiveMigrationUnsupported = "live-migration-unsupported";
    public const string ClusterMoveFailed = "cluster-move-failed";
    public const string ClusterMoveTimeout = "cluster-move-timeout";
    public const string VerificationFailed = "verification-failed";
    public const string AgentError = "agent-error";

    /// <summary>No result arrived within the control plane's configured time (set by the control plane, not an agent).</summary>
    public const string TimedOut = "timed-out";
}
