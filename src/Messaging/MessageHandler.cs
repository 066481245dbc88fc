namespace GpuAutomation.Messaging;

/// <summary>
/// Handles one delivered message and says how to settle it. An exception counts as a failed attempt: the message
/// is abandoned (redelivered) until <see cref="ConsumerOptions.MaxDeliveryAttempts"/>, then dead-lettered.
/// </summary>
public delegate Task<Settlement> MessageHandler(ReceivedMessage message, CancellationToken cancellationToken);
