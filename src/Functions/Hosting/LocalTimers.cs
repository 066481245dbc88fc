using Microsoft.Extensions.Options;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode: fires ComplianceScan and OutboxSweep at fixed intervals on <see cref="TimeProvider"/>. Like
/// the timer trigger, a failed occurrence is logged and the next one runs.
/// </summary>
public sealed partial class LocalTimers(
    ScheduledWork work,
    IOptions<LocalTimerOptions> options,
    TimeProvider timeProvider,
    ILogger<LocalTimers> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => Task.WhenAll(
            RunAsync(FunctionNames.ComplianceScan, options.Value.ComplianceScanInterval, work.ComplianceScanAsync, stoppingToken),
            RunAsync(FunctionNames.OutboxSweep, options.Value.OutboxSweepInterval, work.OutboxSweepAsync, stoppingToken));

    private async Task RunAsync(string function, TimeSpan interval, Func<TimerTick, CancellationToken, Task<string>> occurrence, CancellationToken stoppingToken)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"The local {function} interval is {interval}; it must be positive ({LocalTimerOptions.Section}).");
        }

        DateTimeOffset? last = null;
        using var timer = new PeriodicTimer(interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var tick = new TimerTick(function, timeProvider.GetUtcNow(), IsPastDue: false, last);
                try
                {
                    await occurrence(tick, stoppingToken);
                    LogRan(function);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogOccurrenceFailed(ex, function);
                }

                last = tick.FiredAt;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "Local timer {Function} ran")]
    private partial void LogRan(string function);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Error, Message = "Local timer {Function} failed; the next occurrence runs as scheduled")]
    private partial void LogOccurrenceFailed(Exception exception, string function);
}
