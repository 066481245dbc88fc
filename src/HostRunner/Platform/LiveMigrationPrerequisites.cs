using System.Globalization;
using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.HostRunner.Platform;

/// <summary>
/// What a node needs before a VM with a GPU partition can live-migrate off (or onto) it:
/// - OS build 26100 or later: live migration with GPU partitioning arrived with Windows Server 2025 / Azure Stack HCI
///   24H2 (learn.microsoft.com/windows-server/virtualization/hyper-v/gpu-partitioning: "Windows Server introduces live
///   migration with GPU partitioning"; Azure Local gpu-manage-via-partitioning: build 26100+, see reference/hyperv-wmi.md).
/// - NVIDIA vGPU software 18 or later on NVIDIA GPUs (Azure Local gpu-manage-via-partitioning, as the reference note
///   quotes it). vGPU 18 is NVIDIA's R570 driver branch, vGPU 17 the R550 one (Azure/aks-gpu PR 154: "GRID driver
///   550.144.06 (vGPU 17.55) to 570.211.01 (vGPU 18.6)"), so the driver's release number must be 570 or more.
/// - An IOMMU with DMA bit tracking (the same gpu-partitioning page). No WMI class is known to report DMA bit
///   tracking, so it is not checked here; IOVSupport (SR-IOV with DMA remapping) is necessary but not sufficient.
/// Get-VMGpuPartitionAdapter's SupportsOutgoingLiveMigration "can be used to pre-validate a live migration"
/// (learn.microsoft.com/powershell/module/hyper-v/get-vmgpupartitionadapter); which WMI property backs it is not
/// documented, so it is not read either.
/// </summary>
public static class LiveMigrationPrerequisites
{
    public const int MinimumBuild = GpuPPrerequisites.WindowsServer2025Build;

    /// <summary>The first NVIDIA driver release of vGPU 18 (R570).</summary>
    public const int MinimumNvidiaRelease = 570;

    /// <summary>
    /// The driver's release number (e.g. 553 for 553.24): nvidia-smi's driver_version when read, else the Windows
    /// driver version, whose last five digits are NVIDIA's release (32.0.15.5324 is 553.24 — the convention NVIDIA's
    /// Windows drivers follow; no NVIDIA document states it, nvidia-smi is preferred for that reason). Null when neither parses.
    /// </summary>
    public static int? NvidiaReleaseOf(GpuDriver? driver)
    {
        if (driver?.VendorVersion is { } vendor && vendor.Split('.') is [var major, ..] && int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out var release))
        {
            return release;
        }

        if (driver?.Version is { } windows && windows.Split('.') is [_, _, var third, var fourth] && third.Length >= 1 && fourth.Length == 4
            && int.TryParse(third[^1..] + fourth, NumberStyles.None, CultureInfo.InvariantCulture, out var digits))
        {
            return digits / 100;
        }

        return null;
    }

    /// <summary>What keeps a GPU-P VM on the GPUs <paramref name="gpus"/> from live-migrating on this node; empty when nothing known does.</summary>
    public static IReadOnlyList<string> Problems(string node, OperatingSystemFacts os, IEnumerable<GpuInventory> gpus)
    {
        ArgumentNullException.ThrowIfNull(os);
        ArgumentNullException.ThrowIfNull(gpus);
        var problems = new List<string>();
        if (os.Build < MinimumBuild)
        {
            problems.Add(Inv($"node {node} runs OS build {os.Build}; GPU-P live migration needs build {MinimumBuild} (Windows Server 2025 / Azure Local 24H2) or later"));
        }

        foreach (var gpu in gpus.Where(IsNvidia))
        {
            var release = NvidiaReleaseOf(gpu.Driver);
            var shown = gpu.Driver?.VendorVersion ?? gpu.Driver?.Version ?? "no version";
            if (release is null)
            {
                problems.Add(Inv($"the NVIDIA driver of {gpu.Model} on {node} has no readable version ({shown}); live migration needs vGPU 18 (driver R{MinimumNvidiaRelease}) or later"));
            }
            else if (release < MinimumNvidiaRelease)
            {
                problems.Add(Inv($"the NVIDIA driver of {gpu.Model} on {node} is {shown} (R{release}); GPU-P live migration needs NVIDIA vGPU 18 (driver R{MinimumNvidiaRelease}) or later"));
            }
        }

        return problems.Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool IsNvidia(GpuInventory gpu)
        => gpu.Vendor.Contains("NVIDIA", StringComparison.OrdinalIgnoreCase) || (gpu.Driver?.Provider?.Contains("NVIDIA", StringComparison.OrdinalIgnoreCase) ?? false);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
