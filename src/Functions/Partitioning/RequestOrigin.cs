namespace GpuAutomation.Functions.Partitioning;

/// <summary>Where a request came from.</summary>
public enum RequestOrigin
{
    Api,
    EventGrid,
    HostEvent,
    ComplianceRemediation,
}
