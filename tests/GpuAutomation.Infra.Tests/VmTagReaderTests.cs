namespace GpuAutomation.Infra.Tests;

/// <summary>Tag-based provisioning rules need the app to read Arc machine tags; it gets that and nothing more.</summary>
public sealed class VmTagReaderTests
{
    private const string VmResourceGroup = "rg-azure-local-vms";

    // Built-in Reader (actions */read, which covers Microsoft.Resources/tags/read):
    // learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader.
    private const string Reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

    [Fact]
    public void App_reads_tags_through_the_built_in_reader_role_on_the_vm_resource_group_only()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { VmResourceGroupName = VmResourceGroup });
        var vmGroup = $"/subscriptions/{DeploymentSnapshot.SubscriptionId}/resourceGroups/{VmResourceGroup}";

        // A custom role needs roleDefinitions/write, which the documented deployer (Contributor + Role Based Access
        // Control Administrator) lacks (audit fidelity-azure 6.3): none is created.
        Assert.Empty(snapshot.OfType("Microsoft.Authorization/roleDefinitions"));

        var tagGrants = snapshot.OfType("Microsoft.Authorization/roleAssignments")
            .Where(a => DeploymentSnapshot.Id(a).StartsWith(vmGroup + "/", StringComparison.OrdinalIgnoreCase))
            .ToList();
        var grant = Assert.Single(tagGrants);
        var properties = grant.GetProperty("properties");
        Assert.Equal(
            $"/subscriptions/{DeploymentSnapshot.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{Reader}",
            properties.GetProperty("roleDefinitionId").GetString());
        Assert.Equal("ServicePrincipal", properties.GetProperty("principalType").GetString());
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
            id => id!.EndsWith("/" + Reader, StringComparison.OrdinalIgnoreCase));
    }
}
