using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Functions.Compliance;

/// <summary><see cref="IComplianceScanner"/> (ComplianceScan timer) over <see cref="ComplianceScan.ScanAllAsync"/>.</summary>
public sealed partial class ScheduledComplianceScanner(ComplianceScan scan, ILogger<ScheduledComplianceScanner> logger) : IComplianceScanner
{
    public async Task ScanAllAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var scanned = await scan.ScanAllAsync(cancellationToken);
        LogScanned(scanned, tick.FiredAt, tick.IsPastDue);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled compliance scan of {Clusters} clusters (tick {FiredAt}, past due {IsPastDue})")]
    private partial void LogScanned(int clusters, DateTimeOffset firedAt, bool isPastDue);
}
