namespace GpuAutomation.Contracts.Inventory;

/// <summary>A VM on a node as the host reports it.</summary>
/// <param name="Id">Msvm_ComputerSystem.Name, the VM GUID; names are not unique, the id is.</param>
/// <param name="OfflineAction">The cluster resource's OfflineAction; null when the VM is not clustered.</param>
/// <param name="Notes">The Hyper-V VM notes, where a provisioning marker may be placed.</param>
public sealed record VmInventory(
    string Name,
    Guid Id,
    VmPowerState PowerState,
    string HostNode,
    IReadOnlyList<PartitionAdapter> PartitionAdapters,
    bool IsClustered,
    OfflineAction? OfflineAction,
    string? Notes)
{
    public bool HasPartition => PartitionAdapters.Count > 0;
}
