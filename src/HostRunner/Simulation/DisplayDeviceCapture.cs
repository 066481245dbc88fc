namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// A Win32_PnPEntity display device as captured (Get-PnpDevice -Class Display), with its Win32_PnPSignedDriver
/// version, provider and location when one was listed.
/// </summary>
public sealed record DisplayDeviceCapture(
    string DeviceId,
    string Name,
    string? Manufacturer,
    string Status,
    int ConfigManagerErrorCode,
    string? DriverVersion = null,
    string? DriverProvider = null,
    string? DriverLocation = null);
