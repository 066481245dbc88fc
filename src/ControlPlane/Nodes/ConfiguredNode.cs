namespace GpuAutomation.ControlPlane.Nodes;

/// <summary>One node of the deployment configuration: GpuAutomation:Nodes:&lt;cluster&gt;:&lt;node&gt;:PrincipalId.</summary>
public sealed class ConfiguredNode
{
    /// <summary>The object id of the node's managed identity; may be empty where reports are not authenticated yet.</summary>
    public string? PrincipalId { get; set; }
}
