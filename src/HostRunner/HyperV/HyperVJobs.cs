using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// Turns a Msvm method result into success or a <see cref="CimException"/>: 0 is done, 4096 means poll the
/// Msvm_ConcreteJob until it is final. Success is 7 (Completed) or 32768 (Completed with warnings; Microsoft's sample
/// WmiUtilities.IsJobSuccessful, learn.microsoft.com/windows/win32/hyperv_v2/common-utilities-for-the-virtualization-samples-v2);
/// failure is 8 Terminated, 9 Killed or 10 Exception, with its ErrorCode and descriptions. Every other state (2–6,
/// 11 Service, the reserved range) is not final (Msvm_ConcreteJob, fidelity audit row 30): keep polling until the timeout.
/// </summary>
public sealed partial class HyperVJobs(ICimClient cim, HyperVOptions options, TimeProvider time, ILogger<HyperVJobs> logger)
{
    public const ushort JobCompleted = 7;
    public const ushort JobTerminated = 8;
    public const ushort JobKilled = 9;
    public const ushort JobException = 10;
    public const ushort JobCompletedWithWarnings = 32768;

    /// <summary>Whether the job ended well: 7 or 32768.</summary>
    public static bool IsSuccess(ulong state) => state is JobCompleted or JobCompletedWithWarnings;

    /// <summary>Whether the job ended badly: 8, 9 or 10.</summary>
    public static bool IsFailure(ulong state) => state is JobTerminated or JobKilled or JobException;

    public async Task CompleteAsync(CimMethodResult result, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.ReturnValue == HyperVReturnCodes.Completed)
        {
            return;
        }

        if (result.ReturnValue != HyperVReturnCodes.JobStarted)
        {
            throw HyperVReturnCodes.ToException(result.ReturnValue, operation);
        }

        var jobPath = result.GetReference("Job")
            ?? throw new CimException(CimErrors.MethodFailed, $"{operation} started a job (4096) but returned no Job reference.", result.ReturnValue);
        var deadline = time.GetUtcNow() + options.JobTimeout;
        while (true)
        {
            var job = await cim.GetInstanceAsync(jobPath, cancellationToken);
            var state = job.GetUnsigned("JobState") ?? 0;
            var percent = (int)Math.Min(100, job.GetUnsigned("PercentComplete") ?? 0);
            if (IsSuccess(state))
            {
                LogJobCompleted(operation, jobPath.KeyValue("InstanceID"), state);
                return;
            }

            if (IsFailure(state))
            {
                var errorCode = job.GetUnsigned("ErrorCode") ?? 0;
                var description = job.GetString("ErrorDescription") ?? job.GetString("ErrorSummaryDescription") ?? "no description";
                var summary = job.GetString("ErrorSummaryDescription");
                LogJobFailed(operation, state, errorCode, description);
                throw new CimException(
                    CimErrors.JobFailed,
                    $"{operation} failed (job state {state}, error {errorCode}): {description}{(summary is null || summary == description ? string.Empty : $" ({summary})")}",
                    (uint)errorCode);
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new CimException(CimErrors.JobTimeout, $"{operation} did not finish within {options.JobTimeout} (job state {state}, {percent}% complete).");
            }

            await Task.Delay(options.JobPollInterval, time, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "{Operation} job {Job} completed (job state {JobState})")]
    private partial void LogJobCompleted(string operation, string? job, ulong jobState);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "{Operation} job ended in state {JobState} with error {ErrorCode}: {Description}")]
    private partial void LogJobFailed(string operation, ulong jobState, ulong errorCode, string description);
}
