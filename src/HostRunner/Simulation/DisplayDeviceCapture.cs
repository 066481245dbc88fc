namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A Win32_PnPEntity display device as captured (Get-PnpDevice -Class Display).</summary>
public sealed record DisplayDeviceCapture(string DeviceId, string Name, string? Manufacturer, string Status, int ConfigManagerErrorCode);
