namespace GpuAutomation.Functions.Compliance;

public enum FindingSeverity
{
    Info,
    Warning,
    Error,
}
