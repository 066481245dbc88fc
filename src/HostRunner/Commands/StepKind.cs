namespace GpuAutomation.HostRunner.Commands;

/// <summary>Whether a failing step means the command was refused (nothing changed yet) or failed part-way.</summary>
public enum StepKind
{
    /// <summary>Reads and checks only; its failure makes the command Rejected.</summary>
    Check,

    /// <summary>May change the host; its failure makes the command Failed.</summary>
    Change,
}
