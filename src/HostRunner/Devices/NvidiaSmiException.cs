namespace GpuAutomation.HostRunner.Devices;

/// <summary>nvidia-smi is present but its output could not be had or read.</summary>
public sealed class NvidiaSmiException(string message, Exception? inner = null) : Exception(message, inner);
