using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuAutomation.Infra.Tests;

/// <summary>
/// What main.bicep would deploy for given parameters: `bicep snapshot` evaluates the template offline (names, copy
/// loops, conditions, resource ids) into the predicted resources, leaving only runtime values (reference()) as
/// expressions.
/// </summary>
public sealed class DeploymentSnapshot
{
    public const string SubscriptionId = "5d3c6f2a-0b1e-4c7d-9a8f-1e2d3c4b5a60";
    public const string ResourceGroup = "rg-gpu-tests";
    public const string TenantId = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

    private DeploymentSnapshot(JsonElement root)
    {
        Resources = [.. root.GetProperty("predictedResources").EnumerateArray()];
        Outputs = root.GetProperty("outputs");
    }

    public IReadOnlyList<JsonElement> Resources { get; }

    public JsonElement Outputs { get; }

    public static string ResourceGroupId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}";

    public static string SubscriptionResourceId => $"/subscriptions/{SubscriptionId}";

    /// <summary>Writes a parameter file for <paramref name="cluster"/> next to main.bicep and snapshots it.</summary>
    public static DeploymentSnapshot Of(InfraFolder folder, TestCluster cluster)
    {
        var name = $"test-{Guid.NewGuid():N}";
        File.WriteAllText(folder.PathOf($"{name}.bicepparam"), cluster.ToBicepParam());
        return Of(folder, $"{name}.bicepparam");
    }

    public static DeploymentSnapshot Of(InfraFolder folder, string parameterFile)
    {
        var run = BicepCli.Run(
            folder.Root,
            "snapshot", parameterFile,
            "--mode", "overwrite",
            "--subscription-id", SubscriptionId,
            "--resource-group", ResourceGroup,
            "--tenant-id", TenantId,
            "--location", "westeurope");
        Assert.True(run.ExitCode == 0, "bicep snapshot failed: " + run.Describe());

        var snapshotFile = folder.PathOf(Path.ChangeExtension(parameterFile, ".snapshot.json"));
        using var document = JsonDocument.Parse(File.ReadAllText(snapshotFile));
        return new DeploymentSnapshot(document.RootElement.Clone());
    }

    public IEnumerable<JsonElement> OfType(string type)
        => Resources.Where(r => string.Equals(r.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase));

    public JsonElement Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"Expected one {type}, found {matches.Count}.");
        return matches[0];
    }

    /// <summary>The last segment of a resource's name ("ns/queue" → "queue").</summary>
    public static string ShortName(JsonElement resource) => resource.GetProperty("name").GetString()!.Split('/')[^1];

    public static string Id(JsonElement resource) => resource.GetProperty("id").GetString()!;
}

/// <summary>Parameters of one deployment under test.</summary>
public sealed record TestCluster(
    string ClusterName,
    IReadOnlyList<(string Name, string PrincipalId)> Nodes,
    string EventScope = "resourceGroup",
    bool SubscribeVmLifecycleEvents = true,
    string ServiceBusSku = "Standard",
    string ApiClientId = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
    string ExistingEventTopicName = "",
    string UnauthenticatedClientAction = "RedirectToLoginPage",
    string VmResourceGroupName = "")
{
    public string ToBicepParam()
    {
        var text = new StringBuilder();
        text.AppendLine("using './main.bicep'");
        text.AppendLine("param namePrefix = 'gpu-test'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param clusterName = '{ClusterName}'");
        text.AppendLine("param nodes = [");
        foreach (var (name, principalId) in Nodes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {{ name: '{name}', principalId: '{principalId}' }}");
        }

        text.AppendLine("]");
        text.AppendLine(CultureInfo.InvariantCulture, $"param eventScope = '{EventScope}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param subscribeVmLifecycleEvents = {(SubscribeVmLifecycleEvents ? "true" : "false")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"param serviceBusSku = '{ServiceBusSku}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param apiClientId = '{ApiClientId}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param existingEventTopicName = '{ExistingEventTopicName}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param unauthenticatedClientAction = '{UnauthenticatedClientAction}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"param vmResourceGroupName = '{VmResourceGroupName}'");
        return text.ToString();
    }
}
