namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A simulated node.</summary>
/// <param name="Language">
/// The host's display language: "de-DE" localizes Msvm_ComputerSystem.Caption the way a German host does, because
/// Caption is localized on real hosts (GNS3 gns3-server #1612, containers/libhvee #52/#62; fidelity audit E20).
/// The German words are illustrative; what matters is that they are not the English ones.
/// </param>
/// <param name="OsCaption">Win32_OperatingSystem.Caption. The default is the Azure Stack HCI caption as commonly shown; unverified wording.</param>
/// <param name="OsSku">Win32_OperatingSystem.OperatingSystemSKU: 406 (0x196) PRODUCT_AZURESTACKHCI_SERVER_CORE (winnt.h), 8 Datacenter, 7 Standard; null omits the property.</param>
/// <param name="IovSupport">Msvm_VirtualEthernetSwitchManagementCapabilities.IOVSupport; null serves no instance of the class.</param>
/// <param name="IovSupportReasons">IOVSupportReasons when <paramref name="IovSupport"/> is false. Real reason texts vary by host; fixture texts are illustrative.</param>
/// <param name="BmcVga">The friendly name of a BMC's VGA function (e.g. "ASPEED Graphics Family") served as a display device with PCI vendor 1A03; null for none.</param>
/// <param name="NvidiaSmi">Whether nvidia-smi is installed: the emulated tool answers <c>nvidia-smi -q -x</c> for the node's NVIDIA GPUs.</param>
/// <param name="NvidiaDriverVersion">What the emulated nvidia-smi reports as driver_version (illustrative).</param>
/// <param name="Captured">Facts captured on a real node (<c>HostRunner capture</c>); the emulator answers with them.</param>
public sealed record NodeDescription(
    string Name,
    IReadOnlyList<GpuDescription> Gpus,
    IReadOnlyList<VmDescription> Vms,
    string OsBuild = "26100",
    string Language = "en-US",
    string OsCaption = "Microsoft Azure Stack HCI",
    int? OsSku = 406,
    bool? IovSupport = true,
    IReadOnlyList<string>? IovSupportReasons = null,
    string? BmcVga = null,
    bool NvidiaSmi = false,
    string NvidiaDriverVersion = "553.24",
    NodeCapture? Captured = null);
