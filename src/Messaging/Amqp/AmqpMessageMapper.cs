using Amqp;
using Amqp.Framing;
using Amqp.Types;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Diagnostics;
using AmqpMessage = Amqp.Message;
using Message = GpuAutomation.Contracts.Messaging.Message;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>Envelope ↔ AMQP message: the body is the MessageCodec JSON in one data section, the envelope is mirrored in properties.</summary>
internal static class AmqpMessageMapper
{
    public const string SchemaVersionProperty = "schema-version";
    public const string ClusterProperty = "cluster";
    public const string NodeProperty = "node";

    /// <summary>
    /// The body's content encoding when it is not plain JSON (gzip). An application property rather than AMQP's own
    /// content-encoding field: the Service Bus SDK exposes no setter for that field, and one name serves every adapter.
    /// </summary>
    public const string ContentEncodingProperty = "content-encoding";

    private static readonly Symbol ContentType = new(MessageCodec.ContentType);

    public static AmqpMessage ToAmqp(Message message, WireBody body, DateTimeOffset now)
    {
        var envelope = message.Envelope;
        var header = new Header { Durable = true };
        if (envelope.ExpiresAt is { } expiresAt)
        {
            // TTL is relative to when the broker gets it; at least 1 ms because 0 means "never expires".
            var ttl = Math.Clamp((expiresAt - now).TotalMilliseconds, 1, uint.MaxValue);
            header.Ttl = (uint)ttl;
        }

        var properties = new Properties
        {
            MessageId = envelope.MessageId,
            CorrelationId = envelope.CorrelationId,
            Subject = envelope.MessageType,
            ContentType = ContentType,
            CreationTime = envelope.IssuedAt.UtcDateTime,
        };
        if (envelope.ExpiresAt is { } absolute)
        {
            properties.AbsoluteExpiryTime = absolute.UtcDateTime;
        }

        var application = new ApplicationProperties();
        application.Map[SchemaVersionProperty] = envelope.SchemaVersion;
        application.Map[ClusterProperty] = envelope.Cluster;
        application.Map[NodeProperty] = envelope.Node;
        if (body.ContentEncoding is { } encoding)
        {
            application.Map[ContentEncodingProperty] = encoding;
        }
        if (message.SenderToken is { } senderToken)
        {
            application.Map[Message.SenderTokenProperty] = senderToken;
        }

        // The Service Bus SDK's names (TraceContextProperties), so either adapter's messages continue the trace.
        if (TraceContextProperties.Current() is { } trace)
        {
            application.Map[TraceContextProperties.DiagnosticId] = trace.TraceParent;
            application.Map[TraceContextProperties.TraceParent] = trace.TraceParent;
            if (trace.TraceState is { } state)
            {
                application.Map[TraceContextProperties.TraceState] = state;
            }
        }

        return new AmqpMessage
        {
            Header = header,
            Properties = properties,
            ApplicationProperties = application,
            BodySection = new Data { Binary = body.Bytes },
        };
    }

    /// <summary>The binary body, or null when the message carries something else (then it is undecodable).</summary>
    public static byte[]? Body(AmqpMessage message) => message.BodySection switch
    {
        Data data => data.Binary,
        AmqpValue { Value: byte[] bytes } => bytes,
        _ => null,
    };

    public static string? MessageId(AmqpMessage message) => message.Properties?.MessageId;

    public static int DeliveryCount(AmqpMessage message) => (int)Math.Min(message.Header?.DeliveryCount ?? 0, int.MaxValue);

    public static string? ContentEncoding(AmqpMessage message)
        => message.ApplicationProperties?.Map[ContentEncodingProperty] as string;

    public static string? SenderToken(AmqpMessage message)
        => message.ApplicationProperties?.Map[Message.SenderTokenProperty] as string;

    public static (string? TraceParent, string? TraceState) TraceContext(AmqpMessage message)
        => message.ApplicationProperties?.Map is { } map ? TraceContextProperties.Extract(name => map[name]) : (null, null);
}
