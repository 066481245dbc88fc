using Azure.Messaging.ServiceBus;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.Diagnostics;

namespace GpuAutomation.Messaging.ServiceBus;

/// <summary>
/// Envelope ↔ ServiceBusMessage, with the same properties the AMQP adapter writes (ARCHITECTURE.md, Bus):
/// message-id = the envelope's id (command id), correlation-id = request id, subject = message type, content-type,
/// and application properties for schema version, cluster, node, content encoding and trace context.
/// </summary>
internal static class ServiceBusMessageMapper
{
    public static ServiceBusMessage ToServiceBus(Message message, WireBody body, DateTimeOffset now)
    {
        var envelope = message.Envelope;
        var sent = new ServiceBusMessage(new BinaryData(body.Bytes))
        {
            MessageId = envelope.MessageId,
            CorrelationId = envelope.CorrelationId,
            Subject = envelope.MessageType,
            ContentType = MessageCodec.ContentType,
        };
        if (envelope.ExpiresAt is { } expiresAt)
        {
            // At least 1 ms: a zero or negative TTL is refused by the SDK.
            sent.TimeToLive = TimeSpan.FromMilliseconds(Math.Max(1, (expiresAt - now).TotalMilliseconds));
        }

        sent.ApplicationProperties[AmqpMessageMapper.SchemaVersionProperty] = envelope.SchemaVersion;
        sent.ApplicationProperties[AmqpMessageMapper.ClusterProperty] = envelope.Cluster;
        sent.ApplicationProperties[AmqpMessageMapper.NodeProperty] = envelope.Node;
        if (body.ContentEncoding is { } encoding)
        {
            sent.ApplicationProperties[AmqpMessageMapper.ContentEncodingProperty] = encoding;
        }

        if (message.SenderToken is { } senderToken)
        {
            sent.ApplicationProperties[Message.SenderTokenProperty] = senderToken;
        }

        // Our producer span's context, under the names the SDK uses; finding Diagnostic-Id already set, the SDK's own
        // InstrumentMessage leaves it as it is (MessagingClientDiagnostics.InstrumentMessage), so both agree.
        TraceContextProperties.Inject(sent.ApplicationProperties);
        return sent;
    }

    public static (string? TraceParent, string? TraceState) TraceContext(IReadOnlyDictionary<string, object> applicationProperties)
        => TraceContextProperties.Extract(name => applicationProperties.TryGetValue(name, out var value) ? value : null);

    public static string? SenderToken(IReadOnlyDictionary<string, object> applicationProperties)
        => applicationProperties.TryGetValue(Message.SenderTokenProperty, out var value) ? value as string : null;

    public static string? ContentEncoding(IReadOnlyDictionary<string, object> applicationProperties)
        => applicationProperties.TryGetValue(AmqpMessageMapper.ContentEncodingProperty, out var value) ? value as string : null;
}
