namespace GpuAutomation.Contracts.Commands;

/// <summary>What <see cref="MoveVm"/> does with a running VM it can't live-migrate (GPU-P prerequisites missing, or a quick move asked for).</summary>
public enum LiveMigrationFallback
{
    /// <summary>Refuse with <c>live-migration-unsupported</c> (or <c>vm-running</c> for a quick move); nothing changes.</summary>
    Fail = 0,

    /// <summary>Shut the VM down, move its cluster group, start it on the target node.</summary>
    StopMoveStart,
}
