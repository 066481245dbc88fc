namespace GpuAutomation.Contracts.Messaging;

/// <summary>What every message carries besides its body. The bus maps it to AMQP properties as well.</summary>
/// <param name="MessageId">Unique per message; for a command it is the command id hosts de-duplicate by.</param>
/// <param name="CorrelationId">The partition request the message belongs to, if any.</param>
/// <param name="MessageType">One of <see cref="MessageTypes"/>.</param>
/// <param name="Cluster">The cluster the message is about.</param>
/// <param name="Node">For a command, the node that executes it; for a report, the node that sent it.</param>
/// <param name="ExpiresAt">A command not started by then is rejected, not executed.</param>
public sealed record Envelope(
    string MessageId,
    string? CorrelationId,
    string MessageType,
    int SchemaVersion,
    string Cluster,
    string Node,
    DateTimeOffset IssuedAt,
    DateTimeOffset? ExpiresAt);
