using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A VM in the inventory: where it runs, its power state, partitions and cluster OfflineAction.</summary>
public sealed record VmView(string Name, string Node, VmPowerState? PowerState, int Partitions, OfflineAction? OfflineAction);
