namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Stable codes of reports the intake refuses (recorded as rejected messages, never applied). Duplicates, late and
/// stale reports are not refusals: they are expected from at-least-once delivery and are ignored.
/// </summary>
public static class ReportRefusalCodes
{
    /// <summary>The report's body or its request names another cluster or node than the envelope it came in.</summary>
    public const string SenderMismatch = "sender-mismatch";

    /// <summary>The node (or its cluster) is not registered.</summary>
    public const string UnregisteredNode = "unregistered-node";

    /// <summary>A timestamp of the report is further ahead of the control plane's clock than MaxClockSkew.</summary>
    public const string ClockSkew = "clock-skew";

    /// <summary>A snapshot lists two VMs with the same id.</summary>
    public const string DuplicateVmId = "duplicate-vm-id";
}
