namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode: drives <see cref="HostReportIntake"/> from the reports queue, as the HostReports function
/// does under the Functions host. Rejected messages are completed (they never improve); failures are abandoned.
/// </summary>
public sealed partial class LocalReportsConsumer(
    IServiceProvider services,
    HostReportIntake intake,
    ILogger<LocalReportsConsumer> logger) : BackgroundService
{
    public const string TriggerName = "LocalReportsConsumer";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var receiver = services.GetService<IReportsQueueReceiver>();
        if (receiver is null)
        {
            LogNoReceiver(nameof(IReportsQueueReceiver));
            return;
        }

        LogStarted();
        await receiver.ReceiveAsync(
            (report, ct) => intake.ProcessAsync(
                report.Body,
                new ReportDelivery(TriggerName, report.MessageId, Math.Max(1, report.DeliveryCount), report.EnqueuedAt),
                ct),
            stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger mode: no {Port} is registered, so reports are not consumed")]
    private partial void LogNoReceiver(string port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local trigger mode: consuming the reports queue")]
    private partial void LogStarted();
}
