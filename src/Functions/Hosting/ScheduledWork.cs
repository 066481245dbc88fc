using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Rollout;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// What the two timers do, whichever drives them (the Functions host's timer triggers or <see cref="LocalTimers"/>):
/// ComplianceScan scans every cluster; OutboxSweep re-publishes commands left in the outbox, times out requests that
/// never got a result, continues placements a stopped instance left waiting for their move, expires queued requests past their wait, backfills every cluster's queue (catching a
/// backfill a stopped instance missed) and advances every running rollout by one reconcile. Both are bounded per run
/// and safe to run again.
/// </summary>
public sealed partial class ScheduledWork(
    ComplianceScan scan,
    OutboxSweeper sweeper,
    RequestTimeouts timeouts,
    PlacementContinuation placements,
    QueueExpiry expiry,
    QueueBackfill backfill,
    RolloutRunner rollouts,
    ILogger<ScheduledWork> logger)
{
    public async Task<string> ComplianceScanAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var scanned = await scan.ScanAllAsync(cancellationToken);
        LogScanned(scanned, tick.FiredAt, tick.IsPastDue);
        return $"compliance scan of {scanned} clusters (past due: {tick.IsPastDue})";
    }

    public async Task<string> OutboxSweepAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var republished = await sweeper.SweepAsync(cancellationToken);
        var placed = await placements.SweepAsync(cancellationToken);
        var timedOut = await timeouts.TimeOutStaleAsync(cancellationToken);
        var expired = await expiry.ExpireDueAsync(cancellationToken);
        var admitted = await backfill.BackfillAllAsync(cancellationToken);
        var advanced = await rollouts.AdvanceAllAsync(cancellationToken);
        LogSwept(republished, placed, timedOut, expired, admitted, advanced, tick.FiredAt);
        return $"outbox sweep: {republished} re-published, {placed} placements continued, {timedOut} timed out, {expired} expired from queues, {admitted} admitted from queues, {advanced} rollouts advanced (past due: {tick.IsPastDue})";
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Compliance scan of {Clusters} clusters (tick {FiredAt}, past due {IsPastDue})")]
    private partial void LogScanned(int clusters, DateTimeOffset firedAt, bool isPastDue);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Outbox sweep: {Republished} commands re-published, {Placements} placements continued, {TimedOut} requests timed out, {Expired} queued requests expired, {Admitted} admitted from queues, {Rollouts} rollouts advanced (tick {FiredAt})")]
    private partial void LogSwept(int republished, int placements, int timedOut, int expired, int admitted, int rollouts, DateTimeOffset firedAt);
}
