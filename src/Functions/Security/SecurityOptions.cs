namespace GpuAutomation.Functions.Security;

/// <summary>Bound from the GpuAutomation:Security section.</summary>
public sealed class SecurityOptions
{
    public const string Section = "GpuAutomation:Security";

    /// <summary>
    /// Local development only (the Sandbox): a request without X-MS-CLIENT-PRINCIPAL acts as a developer holding both
    /// roles. Off by default; refused at start-up under the Functions host.
    /// </summary>
    public bool DevelopmentIdentity { get; set; }
}
