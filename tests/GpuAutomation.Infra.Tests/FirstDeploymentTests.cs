using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Functions;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;
using GpuAutomation.Testing;

namespace GpuAutomation.Infra.Tests;

/// <summary>
/// What the audit found would break or mislead a first deployment (shared/reference/audits/fidelity-azure.md, problems
/// 1, 4, 6, 7 and 8), asserted on the compiled template.
/// </summary>
public sealed partial class FirstDeploymentTests : IDisposable
{
    private readonly InfraFolder _folder = new();

    [Fact]
    public void The_runtime_stack_is_the_custom_handler_stack_and_no_other_name_compiles()
    {
        using var template = Compile();
        var definition = template.RootElement.GetProperty("definitions").GetProperty("flexRuntime");
        Assert.Equal(["custom"], definition.GetProperty("properties").GetProperty("name").GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()));

        var parameter = template.RootElement.GetProperty("parameters").GetProperty("functionRuntime");
        Assert.Equal("custom", parameter.GetProperty("defaultValue").GetProperty("name").GetString());
        Assert.Equal("1.0", parameter.GetProperty("defaultValue").GetProperty("version").GetString());

        // A dotnet-isolated stack would refuse this package at deploy (no .azurefunctions/): it must not get that far.
        var parameters = ClusterDeployment.Cluster.ToBicepParam() + "param functionRuntime = { name: 'dotnet-isolated', version: '10.0' }\n";
        File.WriteAllText(_folder.PathOf("isolated.bicepparam"), parameters);
        var run = BicepCli.Run(_folder.Root, "build-params", "isolated.bicepparam", "--stdout");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("custom", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void The_region_check_for_the_custom_stack_is_documented_where_the_runtime_is_chosen()
    {
        var main = File.ReadAllText(_folder.PathOf("main.bicep"));
        var readme = File.ReadAllText(RepositoryPaths.Combine("infra", "README.md"));

        foreach (var text in new[] { main, readme })
        {
            Assert.Contains("Get-AzFunctionAppFlexConsumptionRuntime -Location", text, StringComparison.Ordinal);
            Assert.Contains("az functionapp list-flexconsumption-runtimes", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_maximum_instance_count_may_be_as_low_as_one()
    {
        using var template = Compile();
        Assert.Equal(1, template.RootElement.GetProperty("parameters").GetProperty("maximumInstanceCount").GetProperty("minValue").GetInt32());

        File.WriteAllText(_folder.PathOf("one.bicepparam"), ClusterDeployment.Cluster.ToBicepParam() + "param maximumInstanceCount = 1\n");
        var snapshot = DeploymentSnapshot.Of(_folder, "one.bicepparam");
        var scale = snapshot.Single("Microsoft.Web/sites").GetProperty("properties").GetProperty("functionAppConfig").GetProperty("scaleAndConcurrency");
        Assert.Equal(1, scale.GetProperty("maximumInstanceCount").GetInt32());
    }

    [Fact]
    public void The_service_bus_tier_text_states_the_message_size_the_code_really_allows()
    {
        using var template = Compile();
        var description = template.RootElement.GetProperty("parameters").GetProperty("serviceBusSku")
            .GetProperty("metadata").GetProperty("description").GetString()!;

        Assert.DoesNotMatch(@"\d+\s*MB", description);
        Assert.Contains($"{Message.MaxEncodedBytes / 1024} KiB", description, StringComparison.Ordinal);
        Assert.Contains("maxMessageSizeInKilobytes", description, StringComparison.Ordinal);

        // What the text says about the queues: none sets its own maximum message size, on either tier.
        File.WriteAllText(_folder.PathOf("premium.bicepparam"), (ClusterDeployment.Cluster with { ServiceBusSku = "Premium" }).ToBicepParam());
        var premium = DeploymentSnapshot.Of(_folder, "premium.bicepparam");
        var queues = premium.OfType("Microsoft.ServiceBus/namespaces/queues").ToList();
        Assert.NotEmpty(queues);
        Assert.All(queues, q => Assert.False(q.GetProperty("properties").TryGetProperty("maxMessageSizeInKilobytes", out _)));
    }

    [Fact]
    public void The_readme_calls_anonymous_exactly_the_routes_authentication_excludes()
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("src", "Functions", "README.md"));
        var documented = AnonymousRoute().Matches(readme).Select(m => m.Groups["path"].Value).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(AnonymousApiRoutes.Paths.Order(StringComparer.Ordinal), documented);
    }

    [Fact]
    public async Task The_routes_authentication_excludes_need_no_caller_in_the_handler_and_the_others_do()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var app = Program.CreateApp(
        [
            $"--{CustomHandlerEnvironment.Port}={port.ToString(CultureInfo.InvariantCulture)}",
            $"--{PlatformAuthentication.EnabledVariable}=True",
            // As deployed: reports authenticated against a tenant (no report is sent here, so no key is fetched).
            "--GpuAutomation:ReportAuthentication:TenantId=7f3c2b1a-0d4e-4f5a-9b6c-8d7e6f5a4b3c",
            "--GpuAutomation:ReportAuthentication:Audience=api://gpu-automation-test",
        ]);
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            foreach (var path in AnonymousApiRoutes.Paths)
            {
                using var anonymous = await client.GetAsync(new Uri(path, UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
            }

            using var protectedRoute = await client.GetAsync(new Uri("/api/clusters", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, protectedRoute.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public void Dispose() => _folder.Dispose();

    private JsonDocument Compile()
    {
        var run = BicepCli.Run(_folder.Root, "build", "main.bicep", "--stdout");
        Assert.True(run.ExitCode == 0, run.Describe());
        return JsonDocument.Parse(run.StandardOutput);
    }

    [GeneratedRegex(@"`GET (?<path>/api/[^`]+)` \([^)]*anonymous\)")]
    private static partial Regex AnonymousRoute();
}
