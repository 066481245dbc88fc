namespace GpuAutomation.Messaging;

/// <summary>A granted <see cref="IMessageBus.ProbeAsync"/>: the queue, the access, and what the broker answered (for an operator to read).</summary>
public sealed record ProbeResult(string Queue, ProbeAccess Access, string Detail);
