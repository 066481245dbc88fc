using GpuAutomation.ControlPlane.Rejections;
using System.Text;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Reports;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// The one path every report takes, whichever trigger received it: decode, refuse what can never be processed
/// (recorded, then reported as success so it is not redelivered), hand the rest to <see cref="ReportIntake"/>, which
/// is idempotent by itself: duplicates, late and stale reports change nothing. Store failures propagate, so the
/// report is redelivered.
/// </summary>
public sealed partial class HostReportIntake(
    ReportIntake reports,
    RejectedMessageStore rejectedMessages,
    TimeProvider timeProvider,
    ILogger<HostReportIntake> logger)
{
    /// <summary>A command on the reports queue is a sender's mistake, never processable here.</summary>
    public const string NotAReport = "not-a-report";

    /// <exception cref="TriggerFailureException">The report could not be handled now; redeliver it.</exception>
    public async Task<InvocationOutcome> ProcessAsync(ReadOnlyMemory<byte> body, ReportDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        Message report;
        try
        {
            // The token rides beside the body (an application property); the intake checks it against the node.
            report = MessageCodec.Decode(body.Span) with { SenderToken = delivery.SenderToken };
        }
        catch (MessageFormatException ex)
        {
            return await RejectAsync(body, delivery, ex.Code, ex.Message, cancellationToken);
        }

        return await ProcessAsync(report, delivery, cancellationToken);
    }

    /// <summary>A report the bus has already decoded (local trigger mode).</summary>
    /// <exception cref="TriggerFailureException">The report could not be handled now; redeliver it.</exception>
    public async Task<InvocationOutcome> ProcessAsync(Message report, ReportDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(delivery);
        if (!MessageTypes.AllReports.Contains(report.Envelope.MessageType, StringComparer.Ordinal))
        {
            return await RejectAsync(
                MessageCodec.Encode(report),
                delivery,
                NotAReport,
                $"{report.Envelope.MessageType} {report.Envelope.MessageId} is a command; the reports queue carries only {string.Join(", ", MessageTypes.AllReports)}.",
                cancellationToken);
        }

        using (logger.BeginScope(new Dictionary<string, object?> { ["MessageId"] = report.Envelope.MessageId, ["RequestId"] = report.Envelope.CorrelationId }))
        {
            ReportVerdict verdict;
            try
            {
                verdict = await reports.ReceiveAsync(report, delivery.Trigger, delivery.BrokerMessageId, cancellationToken, delivery.TraceParent);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not TriggerFailureException)
            {
                throw new TriggerFailureException(
                    RejectionCodes.HandlerFailed,
                    $"Handling {report.Envelope.MessageType} {report.Envelope.MessageId} from {report.Envelope.Cluster}/{report.Envelope.Node} failed (delivery {delivery.DeliveryCount}): {ex.Message}",
                    ex);
            }

            if (verdict.Refusal is { } refusal)
            {
                // Recorded by the intake (rejected messages, with the reason); settled so it is not redelivered.
                return new InvocationOutcome(InvocationOutcome.Rejected, refusal.Code, refusal.Reason);
            }

            LogHandled(report.Envelope.MessageType, report.Envelope.MessageId, report.Envelope.Cluster, report.Envelope.Node, delivery.Trigger);
        }

        return new InvocationOutcome(
            InvocationOutcome.Processed,
            null,
            $"{report.Envelope.MessageType} {report.Envelope.MessageId} from {report.Envelope.Cluster}/{report.Envelope.Node}");
    }

    private async Task<InvocationOutcome> RejectAsync(
        ReadOnlyMemory<byte> body,
        ReportDelivery delivery,
        string code,
        string reason,
        CancellationToken cancellationToken)
    {
        var excerpt = Encoding.UTF8.GetString(body.Span[..Math.Min(body.Length, RejectedMessage.MaxExcerptLength)]);
        var rejected = new RejectedMessage(delivery.Trigger, delivery.BrokerMessageId, code, reason, timeProvider.GetUtcNow(), excerpt);
        await rejectedMessages.RecordAsync(rejected, cancellationToken);
        LogRejected(delivery.BrokerMessageId, code, reason, delivery.Trigger);
        return new InvocationOutcome(InvocationOutcome.Rejected, code, reason);
    }

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Handled {MessageType} {ReportId} from {Cluster}/{Node} received by {Trigger}")]
    private partial void LogHandled(string messageType, string reportId, string cluster, string node, string trigger);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Rejected message {BrokerMessageId} received by {Trigger}: {Code}: {Reason}")]
    private partial void LogRejected(string? brokerMessageId, string code, string reason, string trigger);
}
