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
/// <param name="PowerAfter">A running VM the move shut down is started on the target (<see cref="PowerAfterChange.RestorePrevious"/>)
/// or left off (<see cref="PowerAfterChange.LeaveOff"/>: the control plane moves a VM to give it a partition, and the
/// assignment that follows needs it off anyway). A live-migrated VM keeps running either way.</param>
public sealed record MoveVm(
    string VmName,
    Guid VmId,
    string TargetNode,
    MoveMode Mode = MoveMode.Quick,
    LiveMigrationFallback WhenLiveImpossible = LiveMigrationFallback.Fail,
    PowerAfterChange PowerAfter = PowerAfterChange.RestorePrevious) : ICommand
{
    public void Validate(FieldCheck check)
    {
        check.Name(VmName, "vmName", ResourceNames.MaxVmNameLength);
        check.That(VmId != Guid.Empty, "vmId", "is required");
        check.That(ResourceNames.IsValidHostName(TargetNode), "targetNode", $"'{TargetNode}' is not a valid node name");
        check.Defined(Mode, "mode");
        check.Defined(WhenLiveImpossible, "whenLiveImpossible");
        check.That(PowerAfter is PowerAfterChange.RestorePrevious or PowerAfterChange.LeaveOff, "powerAfter", "a move restores the VM's power state or leaves it off; it never starts a VM that was off");
    }
}
