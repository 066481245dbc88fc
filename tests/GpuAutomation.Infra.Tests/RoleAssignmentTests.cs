using System.Text.Json;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class RoleAssignmentTests(ClusterDeployment deployment)
{
    private const string ServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
    private const string ServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string FunctionApp = "function app";

    private readonly DeploymentSnapshot _snapshot = deployment.Snapshot;

    [Fact]
    public void Every_role_assignment_is_one_of_the_intended_grants_and_every_intended_grant_exists()
    {
        var cluster = ClusterDeployment.Cluster;
        var expected = new List<Grant>
        {
            new(FunctionApp, ServiceBusDataReceiver, QueueScope(QueueNames.Reports)),
            new(FunctionApp, StorageTableDataContributor, ResourceScope("Microsoft.Storage/storageAccounts")),
            new(FunctionApp, StorageBlobDataOwner, ResourceScope("Microsoft.Storage/storageAccounts")),
            new(FunctionApp, MonitoringMetricsPublisher, ResourceScope("Microsoft.Insights/components")),
        };
        foreach (var (node, principalId) in cluster.Nodes)
        {
            var commands = QueueScope(QueueNames.Commands(cluster.ClusterName, node));
            expected.Add(new(FunctionApp, ServiceBusDataSender, commands));
            expected.Add(new(principalId, ServiceBusDataReceiver, commands));
            expected.Add(new(principalId, ServiceBusDataSender, QueueScope(QueueNames.Reports)));
            expected.Add(new(principalId, MonitoringMetricsPublisher, ResourceScope("Microsoft.Insights/components")));
        }

        var actual = _snapshot.OfType("Microsoft.Authorization/roleAssignments").Select(ToGrant).ToList();

        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(
            expected.Select(g => g.ToString()).Order(StringComparer.Ordinal),
            actual.Select(g => g.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_node_identity_reaches_only_its_own_command_queue_the_reports_queue_and_application_insights()
    {
        var cluster = ClusterDeployment.Cluster;
        var grants = _snapshot.OfType("Microsoft.Authorization/roleAssignments").Select(ToGrant).ToList();

        foreach (var (node, principalId) in cluster.Nodes)
        {
            var scopes = grants.Where(g => g.Principal == principalId).ToList();
            Assert.Equal(3, scopes.Count);
            Assert.Contains(scopes, g => g.Role == ServiceBusDataReceiver && g.Scope == QueueScope(QueueNames.Commands(cluster.ClusterName, node)));
            Assert.Contains(scopes, g => g.Role == ServiceBusDataSender && g.Scope == QueueScope(QueueNames.Reports));
            Assert.Contains(scopes, g => g.Role == MonitoringMetricsPublisher && g.Scope == ResourceScope("Microsoft.Insights/components"));
        }
    }

    [Fact]
    public void No_role_is_granted_on_the_namespace_the_resource_group_or_the_subscription()
    {
        var scopes = _snapshot.OfType("Microsoft.Authorization/roleAssignments").Select(ScopeOf).ToList();

        Assert.NotEmpty(scopes);
        Assert.All(scopes, scope =>
        {
            Assert.DoesNotMatch("/providers/Microsoft.ServiceBus/namespaces/[^/]+$", scope);
            Assert.NotEqual(DeploymentSnapshot.ResourceGroupId, scope, StringComparer.OrdinalIgnoreCase);
            Assert.NotEqual(DeploymentSnapshot.SubscriptionResourceId, scope, StringComparer.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Role_assignments_name_service_principals_and_built_in_roles()
    {
        foreach (var assignment in _snapshot.OfType("Microsoft.Authorization/roleAssignments"))
        {
            var properties = assignment.GetProperty("properties");
            Assert.Equal("ServicePrincipal", properties.GetProperty("principalType").GetString());
            Assert.StartsWith(
                $"/subscriptions/{DeploymentSnapshot.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/",
                properties.GetProperty("roleDefinitionId").GetString(),
                StringComparison.Ordinal);
        }
    }

    private Grant ToGrant(JsonElement assignment)
    {
        var properties = assignment.GetProperty("properties");
        var role = properties.GetProperty("roleDefinitionId").GetString()!.Split('/')[^1];
        var principal = properties.GetProperty("principalId").GetString()!;

        // The app's principal id exists only after deployment: the snapshot keeps it as reference(<site id>).
        var siteId = DeploymentSnapshot.Id(_snapshot.Single("Microsoft.Web/sites"));
        if (principal.StartsWith($"[reference('{siteId}'", StringComparison.Ordinal)
            && principal.EndsWith(".identity.principalId]", StringComparison.Ordinal))
        {
            principal = FunctionApp;
        }

        return new Grant(principal, role, ScopeOf(assignment));
    }

    private static string ScopeOf(JsonElement assignment)
    {
        var id = DeploymentSnapshot.Id(assignment);
        var marker = id.LastIndexOf("/providers/Microsoft.Authorization/roleAssignments/", StringComparison.Ordinal);
        Assert.True(marker > 0, $"Unexpected role assignment id {id}.");
        return id[..marker];
    }

    private string QueueScope(string queue)
    {
        var queues = _snapshot.OfType("Microsoft.ServiceBus/namespaces/queues")
            .Where(q => DeploymentSnapshot.ShortName(q) == queue)
            .ToList();
        Assert.True(queues.Count == 1, $"Expected one queue named {queue}, found {queues.Count}.");
        return DeploymentSnapshot.Id(queues[0]);
    }

    private string ResourceScope(string type) => DeploymentSnapshot.Id(_snapshot.Single(type));

    private sealed record Grant(string Principal, string Role, string Scope);
}
