namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// An Azure Local VM instance, an extension resource of an Arc machine:
/// <c>/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/vm/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default</c>.
/// Its tags live on the machine resource. That the machine's name is the VM's name on the Hyper-V host is unconfirmed
/// (fidelity audit row 4.5), so <see cref="VmProvisioning"/> matches the instance's vmId first and the name only as fallback.
/// </summary>
public sealed record AzureLocalVmResource(string SubscriptionId, string ResourceGroup, string VmName)
{
    public string MachineResourceId
        => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.HybridCompute/machines/{VmName}";

    /// <summary>The VM instance, an extension resource of the machine that is always named <c>default</c>.</summary>
    public string InstanceResourceId => MachineResourceId + "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default";

    /// <summary>Reads a VM instance or machine resource id (case-insensitively); null for anything else.</summary>
    public static AzureLocalVmResource? TryParse(string? resourceId)
    {
        if (string.IsNullOrEmpty(resourceId) || resourceId.Length > 1024)
        {
            return null;
        }

        var parts = resourceId.Trim('/').Split('/');
        if (parts.Length < 8
            || !Is(parts[0], "subscriptions")
            || !Is(parts[2], "resourceGroups")
            || !Is(parts[4], "providers")
            || !Is(parts[5], "Microsoft.HybridCompute")
            || !Is(parts[6], "machines"))
        {
            return null;
        }

        var isMachine = parts.Length == 8;
        var isInstance = parts.Length == 12
            && Is(parts[8], "providers")
            && Is(parts[9], "Microsoft.AzureStackHCI")
            && Is(parts[10], "virtualMachineInstances");
        if (!isMachine && !isInstance)
        {
            return null;
        }

        return parts[1].Length > 0 && parts[3].Length > 0 && parts[7].Length > 0
            ? new AzureLocalVmResource(parts[1], parts[3], Uri.UnescapeDataString(parts[7]))
            : null;
    }

    private static bool Is(string part, string expected) => string.Equals(part, expected, StringComparison.OrdinalIgnoreCase);
}
