namespace GpuAutomation.Contracts.Reports;

/// <summary>One step of a command as the host executed it.</summary>
public sealed record StepRecord(
    string Name,
    StepOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    string? Detail = null);
