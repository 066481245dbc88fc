using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Diagnostics;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.Consuming;

/// <summary>
/// What every transport does with one delivery: decode it, run the handler, and decide the settlement
/// (undecodable → dead-letter with the format code; failure → abandon, or dead-letter on the last attempt).
/// Written once so the in-memory and AMQP buses behave the same.
/// </summary>
internal sealed partial class DeliveryProcessor(string queue, MessageHandler handler, ConsumerOptions options, ILogger logger)
{
    private const int MaxDescriptionLength = 1024;
    private readonly FailureCounts _failures = new();

    /// <param name="body">The raw body; null when the message had no binary body at all.</param>
    /// <param name="contentEncoding">The content encoding the message declared (gzip), or null for plain JSON.</param>
    /// <param name="messageId">The AMQP message-id, used to count failures across redeliveries.</param>
    /// <param name="brokerDeliveryCount">Prior failed deliveries as the broker counts them.</param>
    /// <param name="traceParent">The publisher's W3C context (<see cref="TraceContextProperties.Extract"/>): the consumer span continues its trace.</param>
    /// <param name="senderToken">The <see cref="Message.SenderTokenProperty"/> application property, if the message had one.</param>
    /// <param name="traceState">The W3C tracestate that came with <paramref name="traceParent"/>.</param>
    public async ValueTask<Settlement> ProcessAsync(
        ReadOnlyMemory<byte>? body,
        string? contentEncoding,
        string? messageId,
        int brokerDeliveryCount,
        string? traceParent,
        CancellationToken cancellationToken,
        string? senderToken = null,
        string? traceState = null)
    {
        // The handler runs inside this span, so what it does (journal, intake, further publishes) joins the sender's trace.
        using var activity = MessagingTelemetry.StartProcess(queue, messageId, traceParent, traceState);
        var (settlement, messageType) = await ProcessAsync(body, contentEncoding, messageId, brokerDeliveryCount, traceParent, senderToken, activity, cancellationToken);
        MessagingTelemetry.Settled(activity, queue, messageType, settlement);
        return settlement;
    }

    private async ValueTask<(Settlement Settlement, string? MessageType)> ProcessAsync(
        ReadOnlyMemory<byte>? body,
        string? contentEncoding,
        string? messageId,
        int brokerDeliveryCount,
        string? traceParent,
        string? senderToken,
        System.Diagnostics.Activity? activity,
        CancellationToken cancellationToken)
    {
        Message message;
        try
        {
            message = body is { } bytes
                ? MessageCodec.Decode(bytes.Span, contentEncoding)
                : throw new MessageFormatException(MessageFormatErrors.MalformedJson, "The message has no binary body; expected UTF-8 JSON in a data section.");
        }
        catch (MessageFormatException ex)
        {
            LogUndecodable(queue, messageId, ex.Code, ex.Message);
            _failures.Forget(messageId);
            return (Settlement.DeadLetter(ex.Code, Truncate(ex.Message)), null);
        }

        var type = message.Envelope.MessageType;
        MessagingTelemetry.Describe(activity, message);
        var attempt = Math.Max(brokerDeliveryCount, _failures.Get(messageId)) + 1;
        var received = new ReceivedMessage(senderToken is null ? message : message with { SenderToken = senderToken }, queue, attempt, traceParent);
        Settlement settlement;
        string failure;
        try
        {
            settlement = await handler(received, cancellationToken)
                ?? throw new InvalidOperationException("The handler returned no settlement.");
            if (settlement.Kind != SettlementKind.Abandon)
            {
                _failures.Forget(messageId);
                return (settlement, type);
            }

            failure = "the handler abandoned it";
        }
#pragma warning disable CA1031 // A handler's failure of any kind is a failed attempt, never the consumer's end.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(ex, queue, message.Envelope.MessageId, message.Envelope.MessageType, attempt);
            // The type only: an exception message may quote what the handler saw.
            activity?.SetTag("error.type", ex.GetType().FullName);
            failure = $"{ex.GetType().Name}: {ex.Message}";
        }

        var failed = Math.Max(_failures.Increment(messageId), attempt);
        if (failed >= options.MaxDeliveryAttempts)
        {
            _failures.Forget(messageId);
            LogGaveUp(queue, message.Envelope.MessageId, failed);
            return (Settlement.DeadLetter(
                DeadLetterReasons.MaxDeliveryAttemptsExceeded,
                Truncate($"{message.Envelope.MessageType} {message.Envelope.MessageId} failed {failed} of {options.MaxDeliveryAttempts} allowed attempts; last: {failure}")), type);
        }

        return (Settlement.Abandon, type);
    }

    private static string Truncate(string value) => value.Length <= MaxDescriptionLength ? value : value[..MaxDescriptionLength];

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "Dead-lettering undecodable message {MessageId} from {Queue}: {Code} {Problem}")]
    private partial void LogUndecodable(string queue, string? messageId, string code, string problem);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Handler failed on {Queue} for {MessageId} ({MessageType}), attempt {Attempt}")]
    private partial void LogHandlerFailed(Exception exception, string queue, string messageId, string messageType, int attempt);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Error, Message = "Dead-lettering {MessageId} from {Queue} after {Attempts} failed attempts")]
    private partial void LogGaveUp(string queue, string messageId, int attempts);
}
