namespace GpuAutomation.ControlPlane;

/// <summary>Where request and command ids come from; tests inject a deterministic one.</summary>
public interface IIdSource
{
    string NewId();
}
