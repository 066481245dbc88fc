using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>Give a VM one GPU partition, doing every step of the manual procedure.</summary>
/// <param name="VmName">The VM's display name.</param>
/// <param name="VmId">The VM's GUID when the control plane knows it; resolves duplicate names.</param>
/// <param name="GpuInstancePath">A GPU to take the partition from; null lets Hyper-V choose.</param>
/// <param name="OfflineAction">The OfflineAction to ensure on the VM's cluster resource first.</param>
public sealed record AssignPartition(
    string VmName,
    Guid? VmId = null,
    string? GpuInstancePath = null,
    OfflineAction OfflineAction = OfflineAction.ForceShutdown,
    PowerAfterChange PowerAfter = PowerAfterChange.RestorePrevious) : ICommand
{
    public void Validate(FieldCheck check)
    {
        check.Name(VmName, "vmName", ResourceNames.MaxVmNameLength);
        check.That(GpuInstancePath is null || (GpuInstancePath.Length is > 0 and <= 512), "gpuInstancePath", "must be 1 to 512 characters");
        check.Defined(OfflineAction, "offlineAction");
        check.Defined(PowerAfter, "powerAfter");
    }
}
