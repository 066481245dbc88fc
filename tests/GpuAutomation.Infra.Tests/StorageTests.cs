namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class StorageTests(ClusterDeployment deployment)
{
    [Fact]
    public void Account_requires_tls_1_2_https_and_entra_id_with_nothing_public()
    {
        var properties = deployment.Snapshot.Single("Microsoft.Storage/storageAccounts").GetProperty("properties");

        Assert.Equal("TLS1_2", properties.GetProperty("minimumTlsVersion").GetString());
        Assert.True(properties.GetProperty("supportsHttpsTrafficOnly").GetBoolean());
        Assert.False(properties.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.False(properties.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.True(properties.GetProperty("defaultToOAuthAuthentication").GetBoolean());
    }

    [Fact]
    public void Deployment_container_is_private()
    {
        var container = deployment.Snapshot.Single("Microsoft.Storage/storageAccounts/blobServices/containers");

        Assert.Equal("app-package", DeploymentSnapshot.ShortName(container));
        Assert.Equal("None", container.GetProperty("properties").GetProperty("publicAccess").GetString());
    }
}
