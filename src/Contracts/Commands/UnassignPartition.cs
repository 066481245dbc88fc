using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>Take a VM's GPU partition away: the mirror image of <see cref="AssignPartition"/>.</summary>
public sealed record UnassignPartition(
    string VmName,
    Guid? VmId = null,
    OfflineAction OfflineAction = OfflineAction.ForceShutdown,
    PowerAfterChange PowerAfter = PowerAfterChange.RestorePrevious) : ICommand
{
    public void Validate(FieldCheck check)
    {
        check.Name(VmName, "vmName", ResourceNames.MaxVmNameLength);
        check.Defined(OfflineAction, "offlineAction");
        check.Defined(PowerAfter, "powerAfter");
    }
}
