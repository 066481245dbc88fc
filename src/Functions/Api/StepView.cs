namespace GpuAutomation.Functions.Api;

/// <summary>One step the host executed. Outcome: Succeeded, AlreadyDone or Failed.</summary>
public sealed record StepView(string Name, string Outcome, DateTimeOffset StartedAt, DateTimeOffset EndedAt, string? Detail);
