namespace GpuAutomation.Contracts.Commands;

/// <summary>What a VM's power state should be once its partition adapter was added or removed.</summary>
public enum PowerAfterChange
{
    /// <summary>Running again if it ran before (the manual procedure's default).</summary>
    RestorePrevious = 0,

    /// <summary>Started whether or not it ran before (e.g. a freshly created VM).</summary>
    Start,

    /// <summary>Left off.</summary>
    LeaveOff,
}
