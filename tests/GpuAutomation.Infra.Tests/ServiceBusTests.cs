using System.Text.Json;
using System.Xml;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class ServiceBusTests(ClusterDeployment deployment)
{
    private readonly DeploymentSnapshot _snapshot = deployment.Snapshot;

    [Fact]
    public void Queues_are_exactly_the_reports_queue_and_one_command_queue_per_node_named_as_the_code_names_them()
    {
        var cluster = ClusterDeployment.Cluster;
        var expected = cluster.Nodes.Select(n => QueueNames.Commands(cluster.ClusterName, n.Name)).Append(QueueNames.Reports);

        var actual = _snapshot.OfType("Microsoft.ServiceBus/namespaces/queues").Select(DeploymentSnapshot.ShortName);

        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Outputs_name_the_same_queues()
    {
        var cluster = ClusterDeployment.Cluster;

        Assert.Equal(QueueNames.Reports, _snapshot.Outputs.GetProperty("reportsQueueName").GetString());
        Assert.Equal(
            cluster.Nodes.Select(n => QueueNames.Commands(cluster.ClusterName, n.Name)),
            _snapshot.Outputs.GetProperty("commandQueueNames").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Each_host_runner_is_told_its_own_command_queue_and_the_reports_queue()
    {
        var cluster = ClusterDeployment.Cluster;
        var hostRunners = _snapshot.Outputs.GetProperty("hostRunners").GetString()!;

        foreach (var (node, _) in cluster.Nodes)
        {
            Assert.Contains(
                $"createObject('clusterName', '{cluster.ClusterName}', 'nodeName', '{node}', 'serviceBusNamespace', ",
                hostRunners,
                StringComparison.Ordinal);
            Assert.Contains(
                $"'commandQueue', '{QueueNames.Commands(cluster.ClusterName, node)}', 'reportsQueue', '{QueueNames.Reports}', 'reportAudience', 'api://{cluster.ApiClientId}')",
                hostRunners,
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Command_queues_detect_duplicates_of_republished_commands_and_dead_letter_what_expires()
    {
        foreach (var queue in CommandQueues())
        {
            var properties = queue.GetProperty("properties");
            Assert.True(properties.GetProperty("requiresDuplicateDetection").GetBoolean());
            Assert.Equal(TimeSpan.FromHours(1), Duration(properties, "duplicateDetectionHistoryTimeWindow"));
            Assert.True(properties.GetProperty("deadLetteringOnMessageExpiration").GetBoolean());
            Assert.Equal(TimeSpan.FromDays(1), Duration(properties, "defaultMessageTimeToLive"));
            Assert.Equal(TimeSpan.FromMinutes(1), Duration(properties, "lockDuration"));
            Assert.Equal(5, properties.GetProperty("maxDeliveryCount").GetInt32());
            Assert.False(properties.GetProperty("requiresSession").GetBoolean());
        }
    }

    [Fact]
    public void Reports_queue_keeps_every_distinct_report_and_dead_letters_what_expires()
    {
        var properties = ReportsQueue().GetProperty("properties");

        // Reports carry no id that is unique per report across kinds, so duplicate detection could drop one.
        Assert.False(properties.GetProperty("requiresDuplicateDetection").GetBoolean());
        Assert.True(properties.GetProperty("deadLetteringOnMessageExpiration").GetBoolean());
        Assert.Equal(TimeSpan.FromMinutes(1), Duration(properties, "lockDuration"));
        Assert.Equal(10, properties.GetProperty("maxDeliveryCount").GetInt32());
        Assert.Equal(TimeSpan.FromDays(7), Duration(properties, "defaultMessageTimeToLive"));
    }

    [Fact]
    public void Lock_durations_stay_within_the_service_bus_maximum()
    {
        foreach (var queue in _snapshot.OfType("Microsoft.ServiceBus/namespaces/queues"))
        {
            Assert.InRange(Duration(queue.GetProperty("properties"), "lockDuration"), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
        }
    }

    [Fact]
    public void Namespace_requires_tls_1_2_and_entra_id_only()
    {
        var properties = _snapshot.Single("Microsoft.ServiceBus/namespaces").GetProperty("properties");

        Assert.Equal("1.2", properties.GetProperty("minimumTlsVersion").GetString());
        Assert.True(properties.GetProperty("disableLocalAuth").GetBoolean());
    }

    [Fact]
    public void Premium_tier_is_chosen_by_parameter()
    {
        using var folder = new InfraFolder();
        var premium = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { ServiceBusSku = "Premium" });

        var sku = premium.Single("Microsoft.ServiceBus/namespaces").GetProperty("sku");
        Assert.Equal("Premium", sku.GetProperty("tier").GetString());
        Assert.Equal(1, sku.GetProperty("capacity").GetInt32());
        Assert.Equal("Standard", _snapshot.Single("Microsoft.ServiceBus/namespaces").GetProperty("sku").GetProperty("tier").GetString());
    }

    private IEnumerable<JsonElement> CommandQueues()
    {
        var queues = _snapshot.OfType("Microsoft.ServiceBus/namespaces/queues")
            .Where(q => DeploymentSnapshot.ShortName(q) != QueueNames.Reports)
            .ToList();
        Assert.Equal(ClusterDeployment.Cluster.Nodes.Count, queues.Count);
        return queues;
    }

    private JsonElement ReportsQueue()
        => _snapshot.OfType("Microsoft.ServiceBus/namespaces/queues").Single(q => DeploymentSnapshot.ShortName(q) == QueueNames.Reports);

    private static TimeSpan Duration(JsonElement properties, string name)
        => XmlConvert.ToTimeSpan(properties.GetProperty(name).GetString()!);
}
