namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Intervals of the local timers (local trigger mode only; under the Functions host the NCRONTAB schedules in
/// ComplianceScanSchedule / OutboxSweepSchedule apply). Bound from the GpuAutomation:Local section.
/// </summary>
public sealed class LocalTimerOptions
{
    public const string Section = "GpuAutomation:Local";

    public TimeSpan ComplianceScanInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}
