using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>Maps a CIM failure to the <see cref="CommandErrorCodes"/> value the agent reports.</summary>
public static class CimFailureCodes
{
    /// <summary>Our code for a CIM failure: the known ones by name, any other as its (kebab-case) CIM code.</summary>
    public static string FromCim(string cimCode) => cimCode switch
    {
        CimErrors.VmNotFound => CommandErrorCodes.UnknownVm,
        CimErrors.VmAmbiguous => CommandErrorCodes.VmAmbiguous,
        CimErrors.VmHasPartition => CommandErrorCodes.VmHasPartition,
        CimErrors.NoFreePartition => CommandErrorCodes.NoFreePartition,
        CimErrors.GpuNotFound => CommandErrorCodes.UnknownGpu,
        CimErrors.InvalidPartitionCount => CommandErrorCodes.InvalidPartitionCount,
        CimErrors.PartitionsAssigned => CommandErrorCodes.PartitionsAssigned,
        CimErrors.ClusterResourceNotFound => CommandErrorCodes.VmNotClustered,
        CimErrors.JobFailed => CommandErrorCodes.HyperVJobFailed,
        CimErrors.JobTimeout => CommandErrorCodes.HyperVJobTimeout,
        CimErrors.StateTimeout => CommandErrorCodes.HyperVStateTimeout,
        _ => cimCode,
    };
}
