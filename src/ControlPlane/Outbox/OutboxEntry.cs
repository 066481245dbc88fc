namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>A command written with its request and not yet known to be published.</summary>
/// <param name="Message">The command as <see cref="GpuAutomation.Contracts.Messaging.MessageCodec"/> encodes it.</param>
/// <param name="TraceParent">The span the command was written in (W3C traceparent): its dispatch, now or by the sweep, continues that trace.</param>
public sealed record OutboxEntry(
    string Cluster,
    string Node,
    string CommandId,
    string RequestId,
    string Queue,
    ReadOnlyMemory<byte> Message,
    DateTimeOffset CreatedAt,
    string? TraceParent = null);
