namespace GpuAutomation.Functions.Hosting;

/// <summary>Re-publishes commands whose outbox rows were left behind (OutboxSweep timer).</summary>
public interface IOutboxSweeper
{
    Task SweepAsync(TimerTick tick, CancellationToken cancellationToken);
}
