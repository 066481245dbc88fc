namespace GpuAutomation.HostRunner.Devices;

/// <summary>Maps a partitionable GPU's device interface path to its PnP device instance id.</summary>
public static class GpuDeviceIds
{
    /// <summary>
    /// <c>\\?\PCI#VEN_10DE&amp;DEV_25B6&amp;...#4&amp;18416dc3&amp;0&amp;0000#{guid}</c> → <c>PCI\VEN_10DE&amp;DEV_25B6&amp;...\4&amp;18416dc3&amp;0&amp;0000</c>;
    /// null when the path does not have that shape.
    /// </summary>
    public static string? FromInstancePath(string instancePath)
    {
        ArgumentNullException.ThrowIfNull(instancePath);
        var path = instancePath.StartsWith(@"\\?\", StringComparison.Ordinal) ? instancePath[4..] : instancePath;
        var parts = path.Split('#');
        return parts.Length >= 3 && parts.Take(3).All(p => p.Length > 0) ? string.Join('\\', parts.Take(3)) : null;
    }
}
