namespace GpuAutomation.HostRunner.Tools;

/// <summary>How one assumption fared on this node.</summary>
public enum CheckVerdict
{
    Pass,
    Warn,
    Fail,
}
