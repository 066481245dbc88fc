using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>The stable codes of <see cref="Contracts.Reports.CommandError"/>; rejection codes match the control plane's request codes.</summary>
public static class CommandCodes
{
    public const string Expired = "expired";
    public const string WrongNode = "wrong-node";
    public const string UnknownVm = "unknown-vm";
    public const string VmAmbiguous = "vm-ambiguous";
    public const string VmHasPartition = "vm-has-partition";
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
    public const string VerificationFailed = "verification-failed";
    public const string AgentError = "agent-error";

    /// <summary>Our code for a CIM failure: the known ones by name, any other as its CIM code with '-' separators.</summary>
    public static string FromCim(string cimCode) => cimCode switch
    {
        CimErrors.VmNotFound => UnknownVm,
        CimErrors.VmAmbiguous => VmAmbiguous,
        CimErrors.VmHasPartition => VmHasPartition,
        CimErrors.NoFreePartition => NoFreePartition,
        CimErrors.GpuNotFound => UnknownGpu,
        CimErrors.InvalidPartitionCount => InvalidPartitionCount,
        CimErrors.PartitionsAssigned => PartitionsAssigned,
        CimErrors.ClusterResourceNotFound => VmNotClustered,
        CimErrors.JobFailed => HyperVJobFailed,
        CimErrors.JobTimeout => HyperVJobTimeout,
        CimErrors.StateTimeout => HyperVStateTimeout,
        _ => cimCode.Replace('.', '-').Replace('_', '-'),
    };
}
