using Microsoft.Extensions.Options;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode: fires ComplianceScan and OutboxSweep at fixed intervals on <see cref="TimeProvider"/>. Like
/// the timer trigger, a failed occurrence is logged and the next one runs.
/// </summary>
public sealed partial class LocalTimers(
    IServiceProvider services,
    IOptions<LocalTimerOptions> options,
    TimeProvider timeProvider,
    ILogger<LocalTimers> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scanner = services.GetService<IComplianceScanner>();
        var sweeper = services.GetService<IOutboxSweeper>();
        var runs = new List<Task>();
        if (scanner is not null)
        {
            runs.Add(RunAsync(FunctionNames.ComplianceScan, options.Value.ComplianceScanInterval, scanner.ScanAllAsync, stoppingToken));
        }
        else
        {
            LogNotRegistered(FunctionNames.ComplianceScan, nameof(IComplianceScanner));
        }

        if (sweeper is not null)
        {
            runs.Add(RunAsync(FunctionNames.OutboxSweep, options.Value.OutboxSweepInterval, sweeper.SweepAsync, stoppingToken));
        }
        else
        {
            LogNotRegistered(FunctionNames.OutboxSweep, nameof(IOutboxSweeper));
        }

        return Task.WhenAll(runs);
    }

    private async Task RunAsync(string function, TimeSpan interval, Func<TimerTick, CancellationToken, Task> occurrence, CancellationToken stoppingToken)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Local timer {Function} ran")]
    private partial void LogRan(string function);

    [LoggerMessage(Level = LogLevel.Error, Message = "Local timer {Function} failed; the next occurrence runs as scheduled")]
    private partial void LogOccurrenceFailed(Exception exception, string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local timer {Function} is off: no {Port} is registered")]
    private partial void LogNotRegistered(string function, string port);
}
