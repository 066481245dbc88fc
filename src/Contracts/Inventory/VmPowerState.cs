namespace GpuAutomation.Contracts.Inventory;

/// <summary>A VM's power state, from Msvm_ComputerSystem.EnabledState.</summary>
public enum VmPowerState
{
    Unknown = 0,
    Running,
    Off,
    ShuttingDown,
    Saved,
    Paused,
    Starting,
    Saving,
    Pausing,
    Resuming,
}
