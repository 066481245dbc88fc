namespace GpuAutomation.HostRunner.Simulation;

/// <summary>The mutable part of an <see cref="EmulatedCluster"/>, written to a file so several processes can share one emulated cluster.</summary>
internal sealed record EmulatedWorldState(long Sequence, IReadOnlyList<EmulatedWorldState.Gpu> Gpus, IReadOnlyList<EmulatedWorldState.Vm> Vms, IReadOnlyDictionary<string, Cluster.ClusterNodeState>? NodeStates = null)
{
    internal sealed record Gpu(string Node, string InstancePath, int PartitionCount, string PnpStatus, int PnpErrorCode);

    internal sealed record Vm(
        Guid Id,
        string Name,
        string Node,
        ushort EnabledState,
        bool ShutdownIntegration,
        bool Clustered,
        Contracts.Inventory.OfflineAction OfflineAction,
        string? Notes,
        bool GuestControlledCacheTypes,
        ulong LowMmioGapSize,
        ulong HighMmioGapSize,
        DateTimeOffset? ShutdownDoneAt,
        Adapter? Adapter,
        IReadOnlyList<string>? PossibleOwners = null);

    internal sealed record Adapter(string AdapterId, IReadOnlyDictionary<string, ulong> Values, string? RequestedGpuPath, string? GpuInstancePath, int? PartitionId, string? VfLuid);
}
