namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>The outcome of matching a VM against a policy.</summary>
public enum PolicyMatch
{
    NotSelected,
    Selected,

    /// <summary>A rule would decide on Azure tags that weren't available.</summary>
    Undecided,
}
