namespace GpuAutomation.ControlPlane.Compliance;

public enum FindingSeverity
{
    Info,
    Warning,
    Error,
}
