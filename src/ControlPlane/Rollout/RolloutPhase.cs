namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>The three phases of a stage, in order.</summary>
public enum RolloutPhase
{
    /// <summary>The stage's VMs give up their partitions (unassigned, left off; losers restored to their power state).</summary>
    Vacate,

    /// <summary>The stage's nodes change their partition count.</summary>
    ChangeCount,

    /// <summary>The VMs stopped for the change get their partitions back and start again if they ran.</summary>
    GiveBack,
}
