using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>Set the OfflineAction of a VM's cluster resource.</summary>
public sealed record SetOfflineAction(
    string VmName,
    OfflineAction Action,
    Guid? VmId = null) : ICommand
{
    public void Validate(FieldCheck check)
    {
        check.Name(VmName, "vmName", ResourceNames.MaxVmNameLength);
        check.Defined(Action, "action");
    }
}
