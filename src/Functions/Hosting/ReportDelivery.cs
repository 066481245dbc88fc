namespace GpuAutomation.Functions.Hosting;

/// <summary>How a report reached the control plane: broker facts that are not part of the message itself.</summary>
/// <param name="Trigger">The function or local consumer that received it, e.g. HostReports.</param>
/// <param name="BrokerMessageId">The broker's message-id (equal to the envelope's messageId when the sender set it).</param>
/// <param name="DeliveryCount">1 on the first delivery; higher on redelivery after a failure.</param>
/// <param name="EnqueuedAt">When the broker accepted it, if known (the host drops sub-second precision).</param>
/// <param name="SenderToken">The message's sender-token application property (the node's access token), if it had one.</param>
/// <param name="TraceParent">
/// The sender's W3C context from the message's application properties (Diagnostic-Id/traceparent), when the trigger
/// has no span of its own in it; null when the local consumer's span already continues it.
/// </param>
public sealed record ReportDelivery(string Trigger, string? BrokerMessageId, int DeliveryCount, DateTimeOffset? EnqueuedAt, string? SenderToken = null, string? TraceParent = null);
