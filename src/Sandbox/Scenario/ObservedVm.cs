using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A VM as the scenario sees it in the inventory: where it runs, its power state, partitions and OfflineAction.</summary>
public sealed record ObservedVm(string Name, string Node, VmPowerState? PowerState, int Partitions, OfflineAction? OfflineAction);
