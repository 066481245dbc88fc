namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// The VGA function of a server's baseboard management controller (BMC): a PCI display device that is no GPU and
/// must never be offered as "Ready for DDA". Told apart by PCI vendor id: 1A03 ASPEED Technology (AST2400/2500/2600
/// BMCs, e.g. Supermicro, many OEM boards) and 102B Matrox Electronics (the G200e family inside HPE iLO, Dell iDRAC
/// and Lenovo XCC) — PCI ID Repository, pci-ids.ucw.cz/read/PC/1a03 and /read/PC/102b. Matrox also sold discrete
/// cards, but none that Hyper-V GPU-P or DDA supports (reference: learn.microsoft.com/windows-server/virtualization/
/// hyper-v/gpu-partitioning lists NVIDIA A2/A10/A16/A40 only), so classing every Matrox display as not a GPU loses
/// nothing.
/// </summary>
public static class BaseboardManagementVga
{
    private static readonly string[] VendorIds = ["VEN_1A03", "VEN_102B"];

    public static bool Is(PnpDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var parts = device.DeviceId.Split('\\');
        return parts.Length > 1
            && string.Equals(parts[0], "PCI", StringComparison.OrdinalIgnoreCase)
            && parts[1].Split('&').Any(p => VendorIds.Contains(p, StringComparer.OrdinalIgnoreCase));
    }
}
