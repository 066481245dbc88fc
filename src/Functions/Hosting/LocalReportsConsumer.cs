using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode: drives <see cref="HostReportIntake"/> from the reports queue (a peek-lock consumer of
/// <see cref="QueueNames.Reports"/>), as the HostReports function does under the Functions host. The bus has already
/// decoded the message (it dead-letters what doesn't decode). Rejected messages are completed (they never improve);
/// failures are abandoned, and the bus dead-letters after <see cref="ConsumerOptions.MaxDeliveryAttempts"/>.
/// </summary>
public sealed partial class LocalReportsConsumer(
    IMessageBus bus,
    HostReportIntake intake,
    ILogger<LocalReportsConsumer> logger) : BackgroundService
{
    public const string TriggerName = "LocalReportsConsumer";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumer = await bus.StartConsumerAsync(
            QueueNames.Reports,
            async (message, ct) =>
            {
                await intake.ProcessAsync(message.Message, new ReportDelivery(TriggerName, message.MessageId, Math.Max(1, message.DeliveryAttempt), null), ct);
                return Settlement.Complete;
            },
            null,
            stoppingToken);
        LogStarted();
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            // Let handlers in flight settle, but not for longer than a host shutdown allows.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await consumer.StopAsync(stopping.Token);
            await consumer.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Local trigger mode: consuming the reports queue")]
    private partial void LogStarted();
}
