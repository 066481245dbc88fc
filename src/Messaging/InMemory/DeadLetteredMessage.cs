namespace GpuAutomation.Messaging.InMemory;

/// <summary>A message in an in-memory queue's dead-letter queue, with why it got there.</summary>
public sealed record DeadLetteredMessage(string? MessageId, ReadOnlyMemory<byte> Body, string Reason, string Description, int DeliveryCount);
