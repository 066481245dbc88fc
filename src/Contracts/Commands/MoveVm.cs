using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>
/// Move a clustered VM to another node of its cluster: its cluster group moves (quick) or it live-migrates. Sent to
/// the node the VM is on; a VM already on <paramref name="TargetNode"/> is success without a move.
/// </summary>
/// <param name="VmName">The VM's display name (for messages; the VM is found by <paramref name="VmId"/>).</param>
/// <param name="VmId">The VM's GUID: the cluster's VmID, the same on every node.</param>
/// <param name="TargetNode">The cluster node the VM should end on.</param>
/// <param name="WhenLiveImpossible">What to do with a running VM that can't live-migrate.</param>
public sealed record MoveVm(
    string VmName,
    Guid VmId,
    string TargetNode,
    MoveMode Mode = MoveMode.Quick,
    LiveMigrationFallback WhenLiveImpossible = LiveMigrationFallback.Fail) : ICommand
{
    public void Validate(FieldCheck check)
    {
        check.Name(VmName, "vmName", ResourceNames.MaxVmNameLength);
        check.That(VmId != Guid.Empty, "vmId", "is required");
        check.That(ResourceNames.IsValidHostName(TargetNode), "targetNode", $"'{TargetNode}' is not a valid node name");
        check.Defined(Mode, "mode");
        check.Defined(WhenLiveImpossible, "whenLiveImpossible");
    }
}
