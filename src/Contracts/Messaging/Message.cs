namespace GpuAutomation.Contracts.Messaging;

/// <summary>An envelope and its body: what crosses the bus.</summary>
public sealed record Message(Envelope Envelope, IMessageBody Body)
{
    /// <summary>The schema version this build writes and the only one it reads.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>
    /// Service Bus Standard's limit on a whole message, body plus system and application properties
    /// (learn.microsoft.com/azure/service-bus-messaging/service-bus-quotas; audit fidelity-azure.md row 3.10). A wire
    /// body is refused above it, and the buses measure the whole encoded message against it before sending.
    /// </summary>
    public const int MaxEncodedBytes = 256 * 1024;

    /// <summary>
    /// The largest JSON a message may decode to. Above <see cref="MessageCodec.CompressAbove"/> the wire body is gzip,
    /// so a 1,024-VM node's inventory (Hyper-V's maximum per host; about 257 KB of JSON) travels in one message.
    /// </summary>
    public const int MaxJsonBytes = 4 * 1024 * 1024;

    /// <summary>The application property that carries <see cref="SenderToken"/> on every bus.</summary>
    public const string SenderTokenProperty = "sender-token";

    /// <summary>
    /// The sender's credential for a report: an Entra access token of the node's managed identity (issue 16, item 1).
    /// It travels as the <see cref="SenderTokenProperty"/> application property, never in the JSON body, so the body
    /// a reader sees in a rejected message or a dead-letter never holds a bearer token.
    /// </summary>
    public string? SenderToken { get; init; }

    /// <summary>Wraps a body in a new envelope of the current schema version.</summary>
    public static Message Create(
        IMessageBody body,
        string messageId,
        string cluster,
        string node,
        DateTimeOffset issuedAt,
        string? correlationId = null,
        DateTimeOffset? expiresAt = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var envelope = new Envelope(
            messageId,
            correlationId,
            MessageTypes.NameOf(body),
            CurrentSchemaVersion,
            cluster,
            node,
            issuedAt,
            expiresAt);
        return new Message(envelope, body);
    }

    public bool IsExpired(DateTimeOffset now) => Envelope.ExpiresAt is { } expiresAt && now >= expiresAt;
}
