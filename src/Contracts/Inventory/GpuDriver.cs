namespace GpuAutomation.Contracts.Inventory;

/// <summary>The host driver of a GPU, as the node read it.</summary>
/// <param name="Version">Win32_PnPSignedDriver.DriverVersion of the GPU's device (Windows form, e.g. "32.0.15.6094"); null when unread.</param>
/// <param name="Provider">Win32_PnPSignedDriver.DriverProviderName.</param>
/// <param name="VendorVersion">The vendor tool's driver version (nvidia-smi -q -x <c>driver_version</c>, e.g. "560.94"); null without the tool.</param>
/// <param name="VirtualizationMode">nvidia-smi <c>gpu_virtualization_mode/virtualization_mode</c> ("None", "Pass-Through", "Host VGPU", ...).</param>
/// <param name="HostVgpuMode">nvidia-smi <c>gpu_virtualization_mode/host_vgpu_mode</c> (e.g. "SR-IOV"), where the driver reports it.</param>
public sealed record GpuDriver(
    string? Version,
    string? Provider = null,
    string? VendorVersion = null,
    string? VirtualizationMode = null,
    string? HostVgpuMode = null);
