using GpuAutomation.Contracts.Messaging;
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
    /// <param name="senderToken">The <see cref="Message.SenderTokenProperty"/> application property, if the message had one.</param>
    public async ValueTask<Settlement> ProcessAsync(
        ReadOnlyMemory<byte>? body,
        string? contentEncoding,
        string? messageId,
        int brokerDeliveryCount,
        string? traceParent,
        CancellationToken cancellationToken,
        string? senderToken = null)
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
            return Settlement.DeadLetter(ex.Code, Truncate(ex.Message));
        }

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
                return settlement;
            }

            failure = "the handler abandoned it";
        }
#pragma warning disable CA1031 // A handler's failure of any kind is a failed attempt, never the consumer's end.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(ex, queue, message.Envelope.MessageId, message.Envelope.MessageType, attempt);
            failure = $"{ex.GetType().Name}: {ex.Message}";
        }

        var failed = Math.Max(_failures.Increment(messageId), attempt);
        if (failed >= options.MaxDeliveryAttempts)
        {
            _failures.Forget(messageId);
            LogGaveUp(queue, message.Envelope.MessageId, failed);
            return Settlement.DeadLetter(
                DeadLetterReasons.MaxDeliveryAttemptsExceeded,
                Truncate($"{message.Envelope.MessageType} {message.Envelope.MessageId} failed {failed} of {options.MaxDeliveryAttempts} allowed attempts; last: {failure}"));
        }

        return Settlement.Abandon;
    }

    private static string Truncate(string value) => value.Length <= MaxDescriptionLength ? value : value[..MaxDescriptionLength];

    [LoggerMessage(EventId = 6019, Level = LogLevel.Warning, Message = "Dead-lettering undecodable message {MessageId} from {Queue}: {Code} {Problem}")]
    private partial void LogUndecodable(string queue, string? messageId, string code, string problem);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Handler failed on {Queue} for {MessageId} ({MessageType}), attempt {Attempt}")]
    private partial void LogHandlerFailed(Exception exception, string queue, string messageId, string messageType, int attempt);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Error, Message = "Dead-lettering {MessageId} from {Queue} after {Attempts} failed attempts")]
    private partial void LogGaveUp(string queue, string messageId, int attempts);
}
