namespace GpuAutomation.HostRunner.Devices;

/// <summary>A display-class Win32_PnPSignedDriver: the driver bound to one device.</summary>
/// <param name="Location">The device's location text, e.g. "PCI bus 59, device 0, function 0".</param>
public sealed record PnpDriver(string DeviceId, string? Version, string? Provider, string? Location);
