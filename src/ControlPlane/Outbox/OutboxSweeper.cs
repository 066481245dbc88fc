using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Partitioning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>Re-publishes commands whose outbox rows were left behind (publisher crash, bus down); run by a timer.</summary>
public sealed partial class OutboxSweeper(
    RequestStore requests,
    CommandDispatcher dispatcher,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<OutboxSweeper> logger)
{
    /// <returns>How many commands the bus took in this sweep.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.OutboxGracePeriod;
        var entries = await requests.ListOutboxAsync(cutoff, options.Value.MaxRowsPerRun, cancellationToken);
        var delivered = 0;
        foreach (var entry in entries)
        {
            // Its writer may have stopped before the request's index row was written (RequestStore.CreateAsync).
            await requests.EnsureIndexedAsync(entry, cancellationToken);
            if (await dispatcher.DispatchAsync(entry, written: null, cancellationToken))
            {
                delivered++;
            }
        }

        LogSwept(logger, entries.Count, delivered);
        return delivered;
    }

    [LoggerMessage(EventId = 3204, Level = LogLevel.Information, Message = "Outbox sweep found {Found} leftover command(s) and delivered {Delivered}")]
    private static partial void LogSwept(ILogger logger, int found, int delivered);
}
