using System.Globalization;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Platform;

/// <summary>
/// Win32_OperatingSystem (root\cimv2): BuildNumber (string), Caption (string), OperatingSystemSKU (uint32)
/// (learn.microsoft.com/windows/win32/cimwin32prov/win32-operatingsystem).
/// </summary>
public sealed class OperatingSystemReader(ICimClient cim)
{
    public const string ClassName = "Win32_OperatingSystem";

    public async Task<OperatingSystemFacts> ReadAsync(CancellationToken cancellationToken)
    {
        var os = (await cim.QueryAsync(CimNamespaces.Cimv2, Wql.Select(ClassName), cancellationToken)).FirstOrDefault();
        var text = os?.GetString("BuildNumber") ?? "unknown";
        var build = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : 0;
        var sku = os?.GetUnsigned("OperatingSystemSKU") is { } s && s <= int.MaxValue ? (int?)s : null;
        return new OperatingSystemFacts(text, build, os?.GetString("Caption"), sku);
    }
}
