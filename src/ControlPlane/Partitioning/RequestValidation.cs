namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>What validation found: the target node and VM, warnings, and the rejection if any.</summary>
public sealed record RequestValidation(
    string Node,
    string? VmName,
    Guid? VmId,
    IReadOnlyList<string> GpuInstancePaths,
    IReadOnlyList<RequestNotice> Warnings,
    RequestNotice? Rejection);
