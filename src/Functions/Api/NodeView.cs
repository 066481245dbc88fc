namespace GpuAutomation.Functions.Api;

/// <summary>A node as its host runner last reported it.</summary>
public sealed record NodeView(
    string Node,
    DateTimeOffset TakenAt,
    long AgeSeconds,
    string OsBuild,
    bool SriovSupported,
    bool IommuSupported,
    IReadOnlyList<GpuView> Gpus,
    IReadOnlyList<VmView> Vms);
