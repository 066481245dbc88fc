namespace GpuAutomation.HostRunner.Devices;

/// <summary>One <c>gpu</c> element of <c>nvidia-smi -q -x</c>.</summary>
/// <param name="PciBus">pci/pci_bus as a number (the XML writes it in hex).</param>
/// <param name="PciDevice">pci/pci_device as a number.</param>
/// <param name="PciFunction">The function of pci/pci_bus_id ("00000000:3B:00.0" → 0).</param>
/// <param name="MemoryMiB">fb_memory_usage/total ("15356 MiB" → 15356).</param>
/// <param name="VirtualizationMode">gpu_virtualization_mode/virtualization_mode; null for "N/A".</param>
/// <param name="HostVgpuMode">gpu_virtualization_mode/host_vgpu_mode; null for "N/A".</param>
/// <param name="GpuUtilizationPercent">utilization/gpu_util ("23 %" → 23); null for "N/A" or when absent.</param>
/// <param name="MemoryUtilizationPercent">utilization/memory_util.</param>
/// <param name="MemoryUsedMiB">fb_memory_usage/used ("6 MiB" → 6).</param>
public sealed record NvidiaSmiGpu(
    string? ProductName,
    string? PciBusId,
    int? PciBus,
    int? PciDevice,
    int? PciFunction,
    long? MemoryMiB,
    string? VirtualizationMode,
    string? HostVgpuMode,
    int? GpuUtilizationPercent = null,
    int? MemoryUtilizationPercent = null,
    long? MemoryUsedMiB = null);
