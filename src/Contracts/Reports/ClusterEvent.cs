using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>Something changed in the cluster, as a host runner saw it.</summary>
/// <param name="Node">The node that saw the change (for VmMoved, the node the VM is on now).</param>
/// <param name="FromNode">For VmMoved: the node the VM left.</param>
/// <param name="PowerState">For VmStateChanged and VmCreated: the VM's power state now.</param>
/// <param name="Notes">For VmCreated: the VM's notes, where a provisioning marker may be.</param>
public sealed record ClusterEvent(
    ClusterEventKind Kind,
    string Node,
    DateTimeOffset OccurredAt,
    string? VmName = null,
    Guid? VmId = null,
    string? FromNode = null,
    VmPowerState? PowerState = null,
    string? Notes = null) : IMessageBody
{
    public void Validate(FieldCheck check)
    {
        check.Defined(Kind, "kind");
        check.That(ResourceNames.IsValidHostName(Node), "node", $"'{Node}' is not a valid node name");
        var aboutVm = Kind is not (ClusterEventKind.NodeDown or ClusterEventKind.NodeUp);
        check.That(!aboutVm || ResourceNames.IsValidVmName(VmName), "vmName", "is required for VM events and must be a valid VM name");
        check.That(!aboutVm || VmId is not null, "vmId", "is required for VM events");
        check.That(Kind != ClusterEventKind.VmMoved || ResourceNames.IsValidHostName(FromNode), "fromNode", "is required for VmMoved");
    }
}
