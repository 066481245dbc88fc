namespace GpuAutomation.HostRunner.Devices;

/// <summary>A display-class Win32_PnPEntity.</summary>
public sealed record PnpDevice(string DeviceId, string Name, string? Manufacturer, string Status, int ConfigManagerErrorCode)
{
    public bool IsWorking => ConfigManagerErrorCode == 0 && string.Equals(Status, "OK", StringComparison.OrdinalIgnoreCase);

    public bool IsPciDevice => DeviceId.StartsWith(@"PCI\", StringComparison.OrdinalIgnoreCase);
}
