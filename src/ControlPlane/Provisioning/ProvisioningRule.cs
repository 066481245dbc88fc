using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Selects VMs and says what they get. Every criterion given must match (they are ANDed); a rule needs at least one.
/// </summary>
/// <param name="Name">Shown in findings and logs, unique within the policy.</param>
/// <param name="NamePattern">A VM name pattern with * and ? wildcards, case-insensitive, like PowerShell's -like.</param>
/// <param name="AzureTags">Tags the Arc VM's machine resource must carry (value "*" means any value).</param>
/// <param name="NotesMarker">Text the Hyper-V VM's notes must contain (case-insensitive).</param>
/// <param name="AssignPartition">Whether selected VMs get a GPU partition.</param>
/// <param name="OfflineAction">The OfflineAction selected VMs' cluster resources get.</param>
/// <param name="StartAfter">Start the VM after the partition is added even if it was off (e.g. freshly created).</param>
public sealed record ProvisioningRule(
    string Name,
    string? NamePattern = null,
    IReadOnlyDictionary<string, string>? AzureTags = null,
    string? NotesMarker = null,
    bool AssignPartition = true,
    OfflineAction OfflineAction = OfflineAction.ForceShutdown,
    bool StartAfter = false)
{
    public bool NeedsAzureTags => AzureTags is { Count: > 0 };
}
