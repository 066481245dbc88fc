using System.Text.Json;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Infra.Tests;

public sealed class BicepToolchainTests : IDisposable
{
    // Rules whose findings would mean a secret, an environment-specific URL or location, or a broken deployment.
    private static readonly string[] RulesThatMustBeErrors =
    [
        "outputs-should-not-contain-secrets",
        "secure-parameter-default",
        "secure-secrets-in-params",
        "secure-params-in-nested-deploy",
        "use-secure-value-for-secure-inputs",
        "protect-commandtoexecute-secrets",
        "no-hardcoded-env-urls",
        "no-hardcoded-location",
        "no-loc-expr-outside-params",
        "explicit-values-for-loc-params",
        "use-resource-id-functions",
        "use-stable-resource-identifiers",
        "no-unused-params",
        "no-unused-vars",
        "no-unnecessary-dependson",
        "what-if-short-circuiting",
    ];

    private readonly InfraFolder _folder = new();

    [Fact]
    public void Main_template_builds_without_diagnostics()
    {
        var run = BicepCli.Run(_folder.Root, "build", "main.bicep", "--stdout");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(string.IsNullOrWhiteSpace(run.StandardError), run.Describe());
        using var template = JsonDocument.Parse(run.StandardOutput);
        Assert.Contains("deploymentTemplate.json", template.RootElement.GetProperty("$schema").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Main_template_lints_clean()
    {
        var run = BicepCli.Run(_folder.Root, "lint", "main.bicep");

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.True(string.IsNullOrWhiteSpace(run.StandardOutput + run.StandardError), run.Describe());
    }

    [Fact]
    public void Important_linter_rules_are_errors()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(_folder.PathOf("bicepconfig.json")));
        var rules = config.RootElement.GetProperty("analyzers").GetProperty("core").GetProperty("rules");

        foreach (var rule in RulesThatMustBeErrors)
        {
            Assert.True(rules.TryGetProperty(rule, out var setting), $"{rule} is not configured.");
            Assert.Equal("error", setting.GetProperty("level").GetString());
        }
    }

    [Fact]
    public void Lint_fails_a_template_that_leaks_a_key_or_hard_codes_a_cloud_url()
    {
        File.WriteAllText(_folder.PathOf("leaky.bicep"), """
            param storageName string
            resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
              name: storageName
            }
            output key string = account.listKeys().keys[0].value
            output portal string = 'https://management.azure.com/'
            """);

        var run = BicepCli.Run(_folder.Root, "lint", "leaky.bicep");

        Assert.NotEqual(0, run.ExitCode);
        var diagnostics = run.StandardOutput + run.StandardError;
        Assert.Contains("Error outputs-should-not-contain-secrets", diagnostics, StringComparison.Ordinal);
        Assert.Contains("Error no-hardcoded-env-urls", diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Example_parameters_for_a_two_node_cluster_build_and_name_its_queues_as_the_code_does()
    {
        var build = BicepCli.Run(_folder.Root, "build-params", "main.example.bicepparam", "--stdout");
        Assert.True(build.ExitCode == 0, build.Describe());

        var snapshot = DeploymentSnapshot.Of(_folder, "main.example.bicepparam");

        using var output = JsonDocument.Parse(build.StandardOutput);
        using var parameters = JsonDocument.Parse(output.RootElement.GetProperty("parametersJson").GetString()!);
        var values = parameters.RootElement.GetProperty("parameters");
        var cluster = values.GetProperty("clusterName").GetProperty("value").GetString()!;
        var nodes = values.GetProperty("nodes").GetProperty("value").EnumerateArray().Select(n => n.GetProperty("name").GetString()!).ToList();
        Assert.Equal(2, nodes.Count);
        Assert.Equal(
            nodes.Select(n => QueueNames.Commands(cluster, n)).Append(QueueNames.Reports).Order(StringComparer.Ordinal),
            snapshot.OfType("Microsoft.ServiceBus/namespaces/queues").Select(DeploymentSnapshot.ShortName).Order(StringComparer.Ordinal));
    }

    public void Dispose() => _folder.Dispose();
}
