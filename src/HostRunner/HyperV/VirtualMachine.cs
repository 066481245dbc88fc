using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>A Msvm_ComputerSystem that is a VM (not the host): <see cref="Id"/> is its Name, the GUID.</summary>
public sealed record VirtualMachine(Guid Id, string Name, VmPowerState PowerState, ushort EnabledState, CimInstancePath Path)
{
    public const ushort Running = 2;
    public const ushort Off = 3;

    internal static VirtualMachine From(CimInstance instance)
    {
        var name = instance.RequireString("Name");
        if (!Guid.TryParse(name, out var id))
        {
            throw new CimException(CimErrors.TypeMismatch, $"Msvm_ComputerSystem.Name '{name}' is not a VM GUID.");
        }

        var enabled = (ushort)(instance.GetUnsigned("EnabledState") ?? 0);
        return new VirtualMachine(id, instance.GetString("ElementName") ?? name, PowerStateOf(enabled), enabled, instance.Path);
    }

    public static VmPowerState PowerStateOf(ushort enabledState) => enabledState switch
    {
        2 => VmPowerState.Running,
        3 => VmPowerState.Off,
        4 => VmPowerState.ShuttingDown,
        6 or 32769 => VmPowerState.Saved,
        9 or 32768 => VmPowerState.Paused,
        10 => VmPowerState.Starting,
        32773 => VmPowerState.Saving,
        32776 => VmPowerState.Pausing,
        32777 => VmPowerState.Resuming,
        _ => VmPowerState.Unknown,
    };
}
