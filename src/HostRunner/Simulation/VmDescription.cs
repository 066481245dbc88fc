using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A simulated VM.</summary>
/// <param name="ShutdownIntegration">Whether the guest runs the shutdown integration service (graceful shutdown works).</param>
/// <param name="HasPartition">Whether the VM starts with a GPU partition adapter (on <paramref name="GpuInstancePath"/> or the first free GPU).</param>
public sealed record VmDescription(
    string Name,
    Guid? Id = null,
    VmPowerState State = VmPowerState.Off,
    bool ShutdownIntegration = true,
    bool Clustered = true,
    OfflineAction OfflineAction = OfflineAction.Save,
    bool HasPartition = false,
    string? GpuInstancePath = null,
    string? Notes = null,
    VmCapture? Captured = null);
