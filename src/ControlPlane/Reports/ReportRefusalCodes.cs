namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Stable codes of reports the intake refuses (recorded as rejected messages, never applied). Duplicates, late and
/// stale reports are not refusals: they are expected from at-least-once delivery and are ignored.
/// </summary>
public static class ReportRefusalCodes
{
    /// <summary>
    /// The report's body or its request names another cluster or node than the envelope it came in, or its valid token
    /// belongs to another principal than the envelope's node is registered with.
    /// </summary>
    public const string SenderMismatch = "sender-mismatch";

    /// <summary>
    /// The report carries no valid access token (missing, unsigned by the tenant, wrong issuer or audience, expired), or
    /// its node has no principal id registered to check the token against.
    /// </summary>
    public const string UnauthenticatedReport = "unauthenticated-report";

    /// <summary>The node (or its cluster) is not registered.</summary>
    public const string UnregisteredNode = "unregistered-node";

    /// <summary>A timestamp of the report is further ahead of the control plane's clock than MaxClockSkew.</summary>
    public const string ClockSkew = "clock-skew";

    /// <summary>A snapshot lists two VMs with the same id.</summary>
    public const string DuplicateVmId = "duplicate-vm-id";
}
