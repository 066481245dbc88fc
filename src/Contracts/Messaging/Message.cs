namespace GpuAutomation.Contracts.Messaging;

/// <summary>An envelope and its body: what crosses the bus.</summary>
public sealed record Message(Envelope Envelope, IMessageBody Body)
{
    /// <summary>The schema version this build writes and the only one it reads.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Service Bus Standard's message size limit; larger messages are refused on both sides.</summary>
    public const int MaxEncodedBytes = 256 * 1024;

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
