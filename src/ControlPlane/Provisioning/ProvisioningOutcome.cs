namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>What provisioning did with one VM-created signal.</summary>
public sealed record ProvisioningOutcome(ProvisioningResult Result, string Detail, string? RequestId = null)
{
    public static ProvisioningOutcome Ignored(string detail) => new(ProvisioningResult.Ignored, detail);
}
