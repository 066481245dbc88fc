namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// What Azure Resource Manager says about an Azure Local VM: its Arc machine (kind, tags) and, once it exists, its
/// VM instance's <c>properties.vmId</c>.
/// </summary>
/// <param name="MachineKind">The machine's <c>kind</c>; <c>HCI</c> for an Azure Local VM (fidelity audit row 4.1: the
/// quickstart template creates the machine with kind HCI). Other kinds (plain Arc servers, VMware, SCVMM) are not ours.</param>
/// <param name="InstanceVmId">The VM instance's <c>properties.vmId</c>, "unique identifier for the vm resource"
/// (Az.StackHCIVM VirtualMachineInstanceProperties.VMId); null while the instance doesn't exist yet.</param>
/// <param name="Tags">The machine's tags (Azure Local VMs keep their tags on the machine).</param>
public sealed record AzureLocalVmFacts(string? MachineKind, Guid? InstanceVmId, IReadOnlyDictionary<string, string> Tags)
{
    public const string AzureLocalMachineKind = "HCI";

    /// <summary>False for a machine ARM says is something else; an instance id or an unset kind count as ours.</summary>
    public bool IsAzureLocalVm
        => InstanceVmId is not null
            || MachineKind is null
            || string.Equals(MachineKind, AzureLocalMachineKind, StringComparison.OrdinalIgnoreCase);
}
