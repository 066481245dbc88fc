using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.HostRunner.Commands;

/// <summary>How a step ended. <paramref name="Memo"/> is journaled with it for later steps and for a resume.</summary>
public readonly record struct StepResult(StepOutcome Outcome, string? Detail = null, string? Memo = null)
{
    public static StepResult Done(string? detail = null, string? memo = null) => new(StepOutcome.Succeeded, detail, memo);

    public static StepResult AlreadyDone(string? detail = null, string? memo = null) => new(StepOutcome.AlreadyDone, detail, memo);
}
