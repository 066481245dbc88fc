namespace GpuAutomation.Contracts.Inventory;

/// <summary>
/// The failover cluster's OfflineAction private property of a "Virtual Machine" resource.
/// Values match the cluster's DWORD; GPU-P VMs need <see cref="ForceShutdown"/> because a partition can't be saved.
/// </summary>
public enum OfflineAction
{
    TurnOff = 0,
    Save = 1,
    Shutdown = 2,
    ForceShutdown = 3,
}
