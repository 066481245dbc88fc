namespace GpuAutomation.HostRunner.Platform;

/// <summary>The editions the GPU-P prerequisites tell apart.</summary>
public enum OsEdition
{
    AzureLocal,
    Datacenter,
    Standard,
    Other,
}
