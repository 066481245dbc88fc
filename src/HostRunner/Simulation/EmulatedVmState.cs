using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A snapshot of an emulated VM for tests and the Sandbox to inspect.</summary>
public sealed record EmulatedVmState(
    Guid Id,
    string Name,
    string Node,
    VmPowerState PowerState,
    bool Clustered,
    OfflineAction OfflineAction,
    string? AdapterId,
    string? PartitionGpu,
    int? PartitionId,
    IReadOnlyDictionary<string, ulong> AdapterValues,
    bool GuestControlledCacheTypes,
    ulong LowMmioGapMb,
    ulong HighMmioGapMb);
