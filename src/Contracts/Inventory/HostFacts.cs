namespace GpuAutomation.Contracts.Inventory;

/// <summary>Node facts that decide whether GPU-P can work at all.</summary>
public sealed record HostFacts(
    string OsBuild,
    bool SriovSupported,
    bool IommuSupported);
