namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Where a request came from.</summary>
public enum RequestOrigin
{
    Api,
    EventGrid,
    HostEvent,
    ComplianceRemediation,

    /// <summary>A step of an applied rolling partition count change.</summary>
    Rollout,
}
