namespace GpuAutomation.ControlPlane.Nodes;

/// <summary>
/// The nodes the deployment declares (section "GpuAutomation:Nodes", keyed cluster then node). They are registered
/// for as long as the configuration names them; an operator can't remove them through the API.
/// </summary>
public sealed class NodeRegistryOptions
{
    public const string SectionName = "GpuAutomation:Nodes";

    /// <summary>
    /// The same registrations as a list, GpuAutomation:NodeList:&lt;i&gt;:{Cluster, Node, PrincipalId}: what a deployment
    /// writes, because App Service app setting names may hold only letters, digits, periods and underscores
    /// (learn.microsoft.com/azure/app-service/configure-common, "Configure app settings"), and cluster or node names
    /// with a hyphen (HCI-Cluster01) can't be a key of <see cref="SectionName"/> there.
    /// </summary>
    public const string ListSectionName = "GpuAutomation:NodeList";

    public Dictionary<string, Dictionary<string, ConfiguredNode>> Clusters { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds the entries of a <see cref="ListSectionName"/> section; entries without a cluster or node name are skipped.</summary>
    public void AddList(Microsoft.Extensions.Configuration.IConfiguration list)
    {
        ArgumentNullException.ThrowIfNull(list);
        foreach (var entry in list.GetChildren())
        {
            if (entry["Cluster"] is not { Length: > 0 } cluster || entry["Node"] is not { Length: > 0 } node)
            {
                continue;
            }

            if (!Clusters.TryGetValue(cluster, out var nodes))
            {
                Clusters[cluster] = nodes = new Dictionary<string, ConfiguredNode>(StringComparer.OrdinalIgnoreCase);
            }

            nodes[node] = new ConfiguredNode { PrincipalId = entry["PrincipalId"] };
        }
    }
}
