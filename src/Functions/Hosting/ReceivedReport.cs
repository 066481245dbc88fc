namespace GpuAutomation.Functions.Hosting;

/// <summary>One message taken from the reports queue by an <see cref="IReportsQueueReceiver"/>.</summary>
public sealed record ReceivedReport(ReadOnlyMemory<byte> Body, string? MessageId, int DeliveryCount, DateTimeOffset? EnqueuedAt);
