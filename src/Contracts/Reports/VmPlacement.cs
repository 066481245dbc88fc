using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Reports;

/// <summary>Where a <see cref="Commands.MoveVm"/> left the VM, how it got there and why that way.</summary>
/// <param name="FromNode">The node the VM was on when the command started.</param>
/// <param name="Node">The node the VM is on now (its cluster group's owner).</param>
/// <param name="PowerState">The VM's power state now, as its cluster resource shows it (Running or Off).</param>
/// <param name="Reason">Why this method: e.g. the GPU-P live-migration prerequisite that was missing.</param>
public sealed record VmPlacement(
    string VmName,
    Guid VmId,
    string FromNode,
    string Node,
    MoveMethod Method,
    VmPowerState PowerState,
    string Reason)
{
    public void Validate(FieldCheck check)
    {
        check.That(ResourceNames.IsValidVmName(VmName), "placement.vmName", "must be a valid VM name");
        check.That(ResourceNames.IsValidHostName(FromNode), "placement.fromNode", $"'{FromNode}' is not a valid node name");
        check.That(ResourceNames.IsValidHostName(Node), "placement.node", $"'{Node}' is not a valid node name");
        check.Defined(Method, "placement.method");
        check.Defined(PowerState, "placement.powerState");
        check.That(Reason.Length <= 1000, "placement.reason", "is longer than 1000 characters");
    }
}
