namespace GpuAutomation.ControlPlane.Nodes;

/// <summary>
/// The nodes the deployment declares (section "GpuAutomation:Nodes", keyed cluster then node). They are registered
/// for as long as the configuration names them; an operator can't remove them through the API.
/// </summary>
public sealed class NodeRegistryOptions
{
    public const string SectionName = "GpuAutomation:Nodes";

    public Dictionary<string, Dictionary<string, ConfiguredNode>> Clusters { get; } = new(StringComparer.OrdinalIgnoreCase);
}
