namespace GpuAutomation.Messaging;

/// <summary>How a handler settles a message. Reason and description are kept only for a dead-letter.</summary>
public sealed record Settlement
{
    private Settlement(SettlementKind kind, string? reason, string? description)
    {
        Kind = kind;
        Reason = reason;
        Description = description;
    }

    public static Settlement Complete { get; } = new(SettlementKind.Complete, null, null);

    public static Settlement Abandon { get; } = new(SettlementKind.Abandon, null, null);

    public SettlementKind Kind { get; }

    /// <summary>A stable code, e.g. one of <see cref="DeadLetterReasons"/> or a MessageFormatErrors code.</summary>
    public string? Reason { get; }

    public string? Description { get; }

    public static Settlement DeadLetter(string reason, string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(SettlementKind.DeadLetter, reason, description ?? string.Empty);
    }
}
