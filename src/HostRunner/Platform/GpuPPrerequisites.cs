using System.Globalization;

namespace GpuAutomation.HostRunner.Platform;

/// <summary>
/// The operating system GPU-P needs, from Microsoft's procedure (learn.microsoft.com/windows-server/virtualization/
/// hyper-v/partition-assign-vm-gpu: "Applies to: Windows Server 2025" and "Azure Stack HCI, versions 23H2 and 22H2";
/// the seed's prerequisites: Windows Server 2025 Datacenter to cluster, or Azure Local). Build numbers: Windows
/// Server 2025 is 26100; Azure Stack HCI 22H2 is 20349 and 23H2 25398 (learn.microsoft.com/azure/azure-local/
/// release-information-23h2 and the 22H2 release information). The edition is read from OperatingSystemSKU, a
/// GetProductInfo PRODUCT_* value (learn.microsoft.com/windows/win32/api/sysinfoapi/nf-sysinfoapi-getproductinfo;
/// winnt.h: 0x196 AZURESTACKHCI_SERVER_CORE, 0x197–0x199 Datacenter Azure Edition), because Caption may be
/// localized; Caption is the fallback when the SKU is missing. Which SKU values a future Azure Local reports is
/// not public: an unknown SKU is a problem the operator sees in <c>check</c>, never a silent pass.
/// </summary>
public static class GpuPPrerequisites
{
    /// <summary>Windows Server 2025; also the build GPU-P VMs need to live-migrate (Azure Local gpu-manage-via-partitioning).</summary>
    public const int WindowsServer2025Build = 26100;

    /// <summary>Azure Stack HCI 22H2, the oldest Azure Local release the procedure applies to.</summary>
    public const int AzureStackHci22H2Build = 20349;

    private static readonly HashSet<int> AzureLocalSkus = [0x196];
    private static readonly HashSet<int> DatacenterSkus = [0x08, 0x0C, 0x50, 0x91, 0x197, 0x198, 0x199];
    private static readonly HashSet<int> StandardSkus = [0x07, 0x0D, 0x4F, 0x92];

    /// <summary>What is missing; empty when the OS meets the prerequisites.</summary>
    /// <param name="clustered">Whether the node is a failover cluster node: Standard edition is enough only standalone.</param>
    public static IReadOnlyList<string> Problems(OperatingSystemFacts os, bool clustered)
    {
        ArgumentNullException.ThrowIfNull(os);
        var edition = EditionOf(os);
        var problems = new List<string>();
        switch (edition)
        {
            case OsEdition.AzureLocal when os.Build < AzureStackHci22H2Build:
                problems.Add(Inv($"Azure Local / Azure Stack HCI build {os.Build} is older than 22H2 (build {AzureStackHci22H2Build}), the first release with GPU-P."));
                break;
            case OsEdition.Datacenter or OsEdition.Standard when os.Build < WindowsServer2025Build:
                problems.Add(Inv($"Windows Server build {os.Build}: GPU-P needs Windows Server 2025 (build {WindowsServer2025Build}) or later."));
                break;
            case OsEdition.Other:
                problems.Add(Inv($"'{os.Caption ?? "unknown"}' (SKU {(os.Sku is { } s ? s.ToString(CultureInfo.InvariantCulture) : "not reported")}) is neither Azure Local nor Windows Server: GPU-P needs Windows Server 2025 or Azure Local."));
                break;
        }

        if (edition == OsEdition.Standard && clustered)
        {
            problems.Add("Windows Server Standard: clustered GPU-P needs Windows Server 2025 Datacenter.");
        }

        return problems;
    }

    internal static OsEdition EditionOf(OperatingSystemFacts os)
    {
        if (os.Sku is { } sku)
        {
            return AzureLocalSkus.Contains(sku) ? OsEdition.AzureLocal
                : DatacenterSkus.Contains(sku) ? OsEdition.Datacenter
                : StandardSkus.Contains(sku) ? OsEdition.Standard
                : OsEdition.Other;
        }

        var caption = os.Caption ?? string.Empty;
        return caption.Contains("Azure Stack HCI", StringComparison.OrdinalIgnoreCase) || caption.Contains("Azure Local", StringComparison.OrdinalIgnoreCase) ? OsEdition.AzureLocal
            : !caption.Contains("Server", StringComparison.OrdinalIgnoreCase) ? OsEdition.Other
            : caption.Contains("Datacenter", StringComparison.OrdinalIgnoreCase) ? OsEdition.Datacenter
            : caption.Contains("Standard", StringComparison.OrdinalIgnoreCase) ? OsEdition.Standard
            : OsEdition.Other;
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
