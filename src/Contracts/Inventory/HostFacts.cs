namespace GpuAutomation.Contracts.Inventory;

/// <summary>Node facts that decide whether GPU-P can work at all.</summary>
/// <param name="OsBuild">Win32_OperatingSystem.BuildNumber.</param>
/// <param name="SriovSupported">The platform's SR-IOV readiness: <see cref="IovSupport"/> when read, else inferred from a GPU listing valid partition counts (agents that predate the read).</param>
/// <param name="IommuSupported">DMA remapping (IOMMU), which SR-IOV needs: true when <see cref="IovSupport"/> is, else inferred as above.</param>
/// <param name="IovSupport">Msvm_VirtualEthernetSwitchManagementCapabilities.IOVSupport as read (what Get-VMHost shows as IovSupport); null when not read.</param>
/// <param name="IovSupportReasons">IOVSupportReasons as read: why SR-IOV can't be used on this host.</param>
/// <param name="OsCaption">Win32_OperatingSystem.Caption (may be localized).</param>
/// <param name="OsSku">Win32_OperatingSystem.OperatingSystemSKU (a GetProductInfo PRODUCT_* value).</param>
/// <param name="GpuPPrerequisiteProblems">What the node found missing against the GPU-P prerequisites (OS build and edition); empty when met, null when not checked.</param>
public sealed record HostFacts(
    string OsBuild,
    bool SriovSupported,
    bool IommuSupported,
    bool? IovSupport = null,
    IReadOnlyList<string>? IovSupportReasons = null,
    string? OsCaption = null,
    int? OsSku = null,
    IReadOnlyList<string>? GpuPPrerequisiteProblems = null);
