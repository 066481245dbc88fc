namespace GpuAutomation.Functions.Hosting;

/// <summary>The scheduled inventory compliance check of every cluster (ComplianceScan timer).</summary>
public interface IComplianceScanner
{
    Task ScanAllAsync(TimerTick tick, CancellationToken cancellationToken);
}
