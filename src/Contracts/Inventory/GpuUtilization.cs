namespace GpuAutomation.Contracts.Inventory;

/// <summary>
/// How busy a GPU was when the node read its inventory, from the vendor tool (nvidia-smi -q -x: utilization/gpu_util,
/// utilization/memory_util, fb_memory_usage/used). Each figure is null where the tool reports "N/A"; the whole record
/// is absent (not zero) where there is no such tool or the GPU is not among its boards.
/// </summary>
/// <param name="GpuPercent">Percent of the sample period a kernel ran on the GPU.</param>
/// <param name="MemoryPercent">Percent of the sample period device memory was read or written.</param>
/// <param name="MemoryUsedMiB">Frame buffer in use, MiB.</param>
public sealed record GpuUtilization(int? GpuPercent, int? MemoryPercent, long? MemoryUsedMiB);
