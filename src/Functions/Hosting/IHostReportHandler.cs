using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Receives every well-formed report a host runner sent (command results and progress, inventory snapshots, cluster
/// events), from the HostReports function or the local queue consumer. Must be idempotent by message id: a report is
/// redelivered when handling throws. Throw only for failures worth a retry; the message is abandoned and redelivered.
/// </summary>
public interface IHostReportHandler
{
    Task HandleAsync(Message report, ReportDelivery delivery, CancellationToken cancellationToken);
}
