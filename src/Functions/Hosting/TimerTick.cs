namespace GpuAutomation.Functions.Hosting;

/// <summary>One occurrence of a timer, from the Functions timer trigger or a local timer.</summary>
/// <param name="Function">ComplianceScan or OutboxSweep.</param>
/// <param name="FiredAt">When the handler received it (the host sends no firing time).</param>
/// <param name="IsPastDue">True when the occurrence is late (e.g. the app was down at the scheduled time).</param>
/// <param name="LastRun">The previous occurrence, when the host tracks schedule status.</param>
public sealed record TimerTick(string Function, DateTimeOffset FiredAt, bool IsPastDue, DateTimeOffset? LastRun);
