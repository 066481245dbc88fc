namespace GpuAutomation.HostRunner.Platform;

/// <summary>The host's SR-IOV readiness as Hyper-V reports it (Get-VMHost's IovSupport and IovSupportReasons).</summary>
/// <param name="Supported">IOVSupport; null when the class or its instance was not found.</param>
/// <param name="Reasons">IOVSupportReasons: why SR-IOV can't be used (firmware, chipset DMA remapping, ...).</param>
public sealed record IovSupport(bool? Supported, IReadOnlyList<string> Reasons);
