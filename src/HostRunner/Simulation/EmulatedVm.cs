using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>Mutable state of one emulated VM; guarded by the cluster's lock.</summary>
internal sealed class EmulatedVm(Guid id, string name, string node)
{
    public Guid Id { get; } = id;

    public string Name { get; set; } = name;

    public string Node { get; set; } = node;

    /// <summary>Msvm_ComputerSystem.EnabledState.</summary>
    public ushort EnabledState { get; set; } = 3;

    public bool ShutdownIntegration { get; set; } = true;

    public bool Clustered { get; set; }

    public OfflineAction OfflineAction { get; set; } = OfflineAction.Save;

    public EmulatedAdapter? Adapter { get; set; }

    public string? Notes { get; set; }

    public bool GuestControlledCacheTypes { get; set; }

    public ulong LowMmioGapSize { get; set; } = 128;

    public ulong HighMmioGapSize { get; set; } = 512;

    /// <summary>Its cluster resource's Name when captured; "Virtual Machine &lt;name&gt;" otherwise.</summary>
    public string? ResourceName { get; set; }

    /// <summary>Its cluster resource's OwnerGroup when captured; the VM's name otherwise.</summary>
    public string? OwnerGroup { get; set; }

    /// <summary>The nodes its cluster resource may be owned by; null means every node (the cluster's default).</summary>
    public IReadOnlyList<string>? PossibleOwners { get; set; }

    /// <summary>When a guest shutdown in progress finishes.</summary>
    public DateTimeOffset? ShutdownDoneAt { get; set; }

    public string GuidText => Id.ToString("D").ToUpperInvariant();
}
