using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Devices;

/// <summary>Display adapters as PnP sees them (Get-PnpDevice -Class Display), for the driver check.</summary>
public sealed class DisplayDevices(ICimClient cim)
{
    public const string DisplayClassGuid = "{4d36e968-e325-11ce-bfc1-08002be10318}";

    public async Task<IReadOnlyList<PnpDevice>> ListAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(
            CimNamespaces.Cimv2,
            Wql.Select("Win32_PnPEntity", Wql.Equal("ClassGuid", DisplayClassGuid)),
            cancellationToken);
        return [.. instances.Select(i => new PnpDevice(
            i.RequireString("PNPDeviceID"),
            i.GetString("Name") ?? i.RequireString("PNPDeviceID"),
            i.GetString("Manufacturer"),
            i.GetString("Status") ?? "Unknown",
            (int)(i.GetUnsigned("ConfigManagerErrorCode") ?? 0)))];
    }
}
