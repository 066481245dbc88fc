namespace GpuAutomation.Contracts.Reports;

public enum CommandOutcome
{
    Succeeded,

    /// <summary>A step failed; the VM was brought back to the power state it had.</summary>
    Failed,

    /// <summary>Refused before anything changed (no capacity, VM not found, expired, ...).</summary>
    Rejected,
}
