namespace GpuAutomation.Contracts.Reports;

/// <summary>Why a command failed or was rejected.</summary>
/// <param name="Code">A stable machine-readable code, e.g. "no-free-partition" or "hyperv-job-failed".</param>
/// <param name="Message">What happened, naming the values involved.</param>
/// <param name="Step">The step that failed, when one did.</param>
/// <param name="HyperVErrorCode">The method return value or job ErrorCode Hyper-V gave, when it gave one.</param>
/// <param name="HyperVErrorDescription">The job's ErrorDescription, when it gave one.</param>
public sealed record CommandError(
    string Code,
    string Message,
    string? Step = null,
    long? HyperVErrorCode = null,
    string? HyperVErrorDescription = null);
