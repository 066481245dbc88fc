using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Reports;

/// <summary>
/// <see cref="IHostReportHandler"/> over <see cref="ReportIntake"/>, which is idempotent by itself: duplicates, late
/// and stale reports change nothing. Store failures propagate, so the report is redelivered.
/// </summary>
public sealed class HostReportHandler(ReportIntake intake) : IHostReportHandler
{
    public Task HandleAsync(Message report, ReportDelivery delivery, CancellationToken cancellationToken)
        => intake.HandleAsync(report, cancellationToken);
}
