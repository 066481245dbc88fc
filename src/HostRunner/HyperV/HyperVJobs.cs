using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// Turns a Msvm method result into success or a <see cref="CimException"/>: 0 is done, 4096 means poll the
/// Msvm_ConcreteJob until JobState 7 (success) or 8+ (failure, with its ErrorCode and descriptions).
/// </summary>
public sealed class HyperVJobs(ICimClient cim, HyperVOptions options, TimeProvider time, ILogger<HyperVJobs> logger)
{
    public const ushort JobCompleted = 7;

    public async Task CompleteAsync(CimMethodResult result, string operation, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.ReturnValue == HyperVReturnCodes.Completed)
        {
            progress?.Report(100);
            return;
        }

        if (result.ReturnValue != HyperVReturnCodes.JobStarted)
        {
            throw HyperVReturnCodes.ToException(result.ReturnValue, operation);
        }

        var jobPath = result.GetReference("Job")
            ?? throw new CimException(CimErrors.MethodFailed, $"{operation} started a job (4096) but returned no Job reference.", result.ReturnValue);
        var deadline = time.GetUtcNow() + options.JobTimeout;
        var lastPercent = -1;
        while (true)
        {
            var job = await cim.GetInstanceAsync(jobPath, cancellationToken);
            var state = job.GetUnsigned("JobState") ?? 0;
            var percent = (int)Math.Min(100, job.GetUnsigned("PercentComplete") ?? 0);
            if (percent != lastPercent)
            {
                lastPercent = percent;
                progress?.Report(percent);
            }

            if (state == JobCompleted)
            {
                logger.LogDebug("{Operation} job {Job} completed", operation, jobPath.KeyValue("InstanceID"));
                progress?.Report(100);
                return;
            }

            if (state > JobCompleted)
            {
                var errorCode = job.GetUnsigned("ErrorCode") ?? 0;
                var description = job.GetString("ErrorDescription") ?? job.GetString("ErrorSummaryDescription") ?? "no description";
                var summary = job.GetString("ErrorSummaryDescription");
                logger.LogWarning("{Operation} job ended in state {JobState} with error {ErrorCode}: {Description}", operation, state, errorCode, description);
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
}
