using System.Text.Json;

namespace GpuAutomation.Infra.Tests;

/// <summary>Tag-based provisioning rules need the app to read Arc machine tags; it gets that and nothing more.</summary>
public sealed class VmTagReaderTests
{
    private const string VmResourceGroup = "rg-azure-local-vms";

    [Fact]
    public void App_may_read_tags_only_on_the_vm_resource_group_when_one_is_named()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { VmResourceGroupName = VmResourceGroup });
        var vmGroup = $"/subscriptions/{DeploymentSnapshot.SubscriptionId}/resourceGroups/{VmResourceGroup}";

        var role = snapshot.Single("Microsoft.Authorization/roleDefinitions").GetProperty("properties");
        var permission = Assert.Single(role.GetProperty("permissions").EnumerateArray());
        Assert.Equal(["Microsoft.Resources/tags/read"], permission.GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal([vmGroup], role.GetProperty("assignableScopes").EnumerateArray().Select(s => s.GetString()));

        var tagGrants = snapshot.OfType("Microsoft.Authorization/roleAssignments")
            .Where(a => DeploymentSnapshot.Id(a).StartsWith(vmGroup + "/", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var grant = Assert.Single(tagGrants);
        Assert.Contains("roleDefinitions", grant.GetProperty("properties").GetProperty("roleDefinitionId").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            DeploymentSnapshot.Id(grant)[..DeploymentSnapshot.Id(grant).LastIndexOf("/providers/Microsoft.Authorization/roleAssignments/", StringComparison.Ordinal)],
            vmGroup,
            StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Without_a_vm_resource_group_no_tag_access_is_granted()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster);

        Assert.Empty(snapshot.OfType("Microsoft.Authorization/roleDefinitions"));
        Assert.DoesNotContain(
            snapshot.OfType("Microsoft.Authorization/roleAssignments").Select(a => a.GetProperty("properties").GetProperty("roleDefinitionId").GetString()),
            id => id!.Contains("resourceGroups/", StringComparison.OrdinalIgnoreCase) && id.Contains("roleDefinitions", StringComparison.Ordinal));
    }
}
