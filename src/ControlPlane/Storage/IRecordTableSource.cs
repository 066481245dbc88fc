namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Opens the named tables of the control plane (created on first use).</summary>
public interface IRecordTableSource
{
    IRecordTable Open(string name);
}
