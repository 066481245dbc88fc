using System.Globalization;
using System.Text.RegularExpressions;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// The drivers of the display devices: Win32_PnPSignedDriver (root\cimv2; DeviceID, DeviceClass, DriverVersion,
/// DriverProviderName, Location — learn.microsoft.com/previous-versions/windows/desktop/whqlprov/win32-pnpsigneddriver).
/// One query for all display devices: the provider enumerates every driver for each query, which is slow.
/// </summary>
public sealed partial class DisplayDrivers(ICimClient cim)
{
    public const string ClassName = "Win32_PnPSignedDriver";

    /// <summary>DeviceClass of display adapters; WQL compares strings case-insensitively.</summary>
    public const string DisplayDeviceClass = "DISPLAY";

    public async Task<IReadOnlyList<PnpDriver>> ListAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(CimNamespaces.Cimv2, Wql.Select(ClassName, Wql.Equal("DeviceClass", DisplayDeviceClass)), cancellationToken);
        return [.. instances
            .Where(i => i.GetString("DeviceID") is not null)
            .Select(i => new PnpDriver(i.RequireString("DeviceID"), i.GetString("DriverVersion"), i.GetString("DriverProviderName"), i.GetString("Location")))];
    }

    /// <summary>
    /// Bus, device and function from a location text "PCI bus 59, device 0, function 0" (decimal). The form is what
    /// Device Manager shows as a PCI device's location; no document specifies it, so an unparsable text is null and
    /// the caller pairs devices another way.
    /// </summary>
    public static (int Bus, int Device, int Function)? PciLocation(string? location)
    {
        if (location is null || LocationPattern().Match(location) is not { Success: true } m)
        {
            return null;
        }

        return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^PCI bus (\d{1,3}), device (\d{1,2}), function (\d)$", RegexOptions.CultureInvariant)]
    private static partial Regex LocationPattern();
}
