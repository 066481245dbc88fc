namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Azure announced a VM no host has reported yet. The event is worth a retry: Event Grid redelivers with back-off,
/// and the VM's host runner reports it within its snapshot interval.
/// </summary>
public sealed class VmNotInInventoryException : Exception
{
    public VmNotInInventoryException(string vmName)
        : base($"VM '{vmName}' is not in the inventory of any cluster yet; retry once its host has reported it.")
    {
        VmName = vmName;
    }

    public VmNotInInventoryException()
        : this(string.Empty)
    {
    }

    public VmNotInInventoryException(string message, Exception innerException)
        : base(message, innerException)
    {
        VmName = string.Empty;
    }

    public string VmName { get; }
}
