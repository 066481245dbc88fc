namespace GpuAutomation.Contracts.Commands;

/// <summary>How <see cref="MoveVm"/> moves a VM (Move-ClusterVirtualMachineRole -MigrationType, VM_RESDLL_CONTEXT).</summary>
public enum MoveMode
{
    /// <summary>Move the VM's cluster group while the VM is off or saved; a running VM follows <see cref="LiveMigrationFallback"/>.</summary>
    Quick = 0,

    /// <summary>Live-migrate a running VM (a VM that is off or saved moves as a quick move).</summary>
    Live,
}
