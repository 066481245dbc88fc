namespace GpuAutomation.ControlPlane.Provisioning;

public enum ProvisioningResult
{
    /// <summary>Not an Azure Local VM, not selected by the policy, or a rule of it can't decide yet.</summary>
    Ignored,

    /// <summary>A partition request was created (or an earlier one with the same key returned).</summary>
    Requested,

    /// <summary>The policy selected the VM but its request was refused; stored as Rejected with the reason.</summary>
    Rejected,
}
