using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging;

/// <summary>A decoded message as delivered to a handler.</summary>
/// <param name="Message">The decoded envelope and body.</param>
/// <param name="Queue">The queue it was received from.</param>
/// <param name="DeliveryAttempt">1 on first delivery; the larger of the broker's count and the consumer's own failure count otherwise.</param>
/// <param name="TraceParent">The W3C trace context the publisher sent, if any.</param>
public sealed record ReceivedMessage(Message Message, string Queue, int DeliveryAttempt, string? TraceParent)
{
    public string MessageId => Message.Envelope.MessageId;
}
