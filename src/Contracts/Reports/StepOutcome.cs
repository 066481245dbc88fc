namespace GpuAutomation.Contracts.Reports;

public enum StepOutcome
{
    /// <summary>The step changed something.</summary>
    Succeeded,

    /// <summary>Actual state already matched: nothing to do.</summary>
    AlreadyDone,

    Failed,
}
