using System.Text.Json;

namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class SecretTests(ClusterDeployment deployment) : IDisposable
{
    private readonly InfraFolder _folder = new();

    [Fact]
    public void Compiled_template_reads_no_keys_and_builds_no_sas()
    {
        var template = CompiledTemplate();

        Assert.Empty(SecretPatterns.Find(template));
    }

    [Fact]
    public void No_output_carries_a_secret()
    {
        using var template = JsonDocument.Parse(CompiledTemplate());
        foreach (var output in template.RootElement.GetProperty("outputs").EnumerateObject())
        {
            Assert.DoesNotContain("secure", output.Value.GetProperty("type").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.NotEmpty(deployment.Snapshot.Outputs.EnumerateObject());
        foreach (var output in deployment.Snapshot.Outputs.EnumerateObject())
        {
            Assert.True(SecretPatterns.Find(output.Value.GetRawText()).Count == 0, $"Output {output.Name} carries a secret: {output.Value}");
        }
    }

    [Fact]
    public void No_app_setting_carries_a_secret()
    {
        var settings = deployment.Snapshot.Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings");

        Assert.NotEmpty(settings.EnumerateArray());
        foreach (var setting in settings.EnumerateArray())
        {
            Assert.True(SecretPatterns.Find(setting.GetRawText()).Count == 0, $"App setting carries a secret: {setting}");
        }
    }

    [Theory]
    [InlineData("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-05-01').keys[0].value]")]
    [InlineData("[listAccountSas('st', '2023-05-01', parameters('sas')).accountSasToken]")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=abc==")]
    [InlineData("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc=")]
    [InlineData("https://st.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=abc%3D")]
    public void The_scan_recognises_keys_and_sas(string secret)
    {
        Assert.NotEmpty(SecretPatterns.Find(secret));
    }

    public void Dispose() => _folder.Dispose();

    private string CompiledTemplate()
    {
        var run = BicepCli.Run(_folder.Root, "build", "main.bicep", "--stdout");
        Assert.True(run.ExitCode == 0, run.Describe());
        return run.StandardOutput;
    }
}
