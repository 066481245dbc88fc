namespace GpuAutomation.Functions.Api;

/// <summary>A VM on a node, its GPU partition and its cluster resource's OfflineAction.</summary>
/// <param name="OfflineAction">TurnOff, Save, Shutdown or ForceShutdown; null when the VM is not clustered.</param>
/// <param name="Partition">The VM's GPU partition adapter; null when it holds none.</param>
public sealed record VmView(
    string Name,
    Guid Id,
    string PowerState,
    bool IsClustered,
    string? OfflineAction,
    VmPartitionView? Partition);
