namespace GpuAutomation.ControlPlane;

/// <summary>Codes of <see cref="ControlPlaneException"/> that are not request codes.</summary>
public static class ControlPlaneErrorCodes
{
    /// <summary>A policy document that can't be used; every problem is in <see cref="ControlPlaneException.Problems"/>.</summary>
    public const string InvalidPolicy = "invalid-policy";

    /// <summary>A setting the core needs is missing or invalid; every problem is in <see cref="ControlPlaneException.Problems"/>.</summary>
    public const string InvalidConfiguration = "invalid-configuration";

    /// <summary>Azure announced a VM no host has reported yet: worth a retry once its host reports (Event Grid redelivers).</summary>
    public const string VmNotInInventory = "vm-not-in-inventory";
}
