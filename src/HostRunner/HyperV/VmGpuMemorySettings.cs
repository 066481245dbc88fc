namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// VM-level settings GPU-P guests usually need (Set-VM -GuestControlledCacheTypes -LowMemoryMappedIoSpace
/// -HighMemoryMappedIoSpace). Null leaves a setting as it is. MMIO gaps are in MB.
/// </summary>
public sealed record VmGpuMemorySettings(bool? GuestControlledCacheTypes = null, ulong? LowMmioGapMb = null, ulong? HighMmioGapMb = null)
{
    public const ulong MinLowMmioGapMb = 128;
    public const ulong MaxLowMmioGapMb = 3584;
}
