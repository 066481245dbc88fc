using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Partitioning;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Functions.Outbox;

/// <summary>
/// <see cref="IOutboxSweeper"/> (OutboxSweep timer): re-publishes commands left in the outbox, then times out
/// requests that never got a result. Both are bounded per run and safe to run again, so one timer serves both.
/// </summary>
public sealed partial class ScheduledOutboxSweeper(OutboxSweeper sweeper, RequestTimeouts timeouts, ILogger<ScheduledOutboxSweeper> logger) : IOutboxSweeper
{
    public async Task SweepAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var republished = await sweeper.SweepAsync(cancellationToken);
        var timedOut = await timeouts.TimeOutStaleAsync(cancellationToken);
        LogSwept(republished, timedOut, tick.FiredAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox sweep: {Republished} commands re-published, {TimedOut} requests timed out (tick {FiredAt})")]
    private partial void LogSwept(int republished, int timedOut, DateTimeOffset firedAt);
}
