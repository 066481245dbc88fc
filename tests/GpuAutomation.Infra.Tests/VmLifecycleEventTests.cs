using System.Text.Json;

namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class VmLifecycleEventTests(ClusterDeployment deployment)
{
    // What the control plane's VmLifecycleEvents function handles.
    private const string FunctionName = "VmLifecycleEvents";
    private const string EventType = "Microsoft.Resources.ResourceWriteSuccess";
    private static readonly string[] Operations = ["Microsoft.HybridCompute/machines/write", "Microsoft.AzureStackHCI/virtualMachineInstances/write"];

    private readonly DeploymentSnapshot _snapshot = deployment.Snapshot;

    [Fact]
    public void Subscription_passes_only_the_two_writes_that_create_an_azure_local_vm()
    {
        var filter = EventSubscription(_snapshot).GetProperty("properties").GetProperty("filter");

        Assert.Equal([EventType], filter.GetProperty("includedEventTypes").EnumerateArray().Select(e => e.GetString()));
        var advanced = Assert.Single(filter.GetProperty("advancedFilters").EnumerateArray());
        Assert.Equal("StringIn", advanced.GetProperty("operatorType").GetString());
        Assert.Equal("data.operationName", advanced.GetProperty("key").GetString());
        Assert.Equal(Operations, advanced.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void Subscription_delivers_one_event_at_a_time_to_the_function()
    {
        var properties = EventSubscription(_snapshot).GetProperty("properties");
        var destination = properties.GetProperty("destination");
        var site = DeploymentSnapshot.Id(_snapshot.Single("Microsoft.Web/sites"));

        Assert.Equal("AzureFunction", destination.GetProperty("endpointType").GetString());
        Assert.Equal($"{site}/functions/{FunctionName}", destination.GetProperty("properties").GetProperty("resourceId").GetString());
        Assert.Equal(1, destination.GetProperty("properties").GetProperty("maxEventsPerBatch").GetInt32());
        Assert.Equal("EventGridSchema", properties.GetProperty("eventDeliverySchema").GetString());
    }

    [Fact]
    public void Topic_watches_the_resource_group_by_default()
    {
        var topic = _snapshot.Single("Microsoft.EventGrid/systemTopics").GetProperty("properties");

        Assert.Equal(DeploymentSnapshot.ResourceGroupId, topic.GetProperty("source").GetString());
        Assert.Equal("Microsoft.Resources.ResourceGroups", topic.GetProperty("topicType").GetString());
    }

    [Fact]
    public void Topic_watches_the_subscription_when_asked()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { EventScope = "subscription" });

        var topic = snapshot.Single("Microsoft.EventGrid/systemTopics").GetProperty("properties");
        Assert.Equal(DeploymentSnapshot.SubscriptionResourceId, topic.GetProperty("source").GetString());
        Assert.Equal("Microsoft.Resources.Subscriptions", topic.GetProperty("topicType").GetString());
        Assert.Equal(Operations, EventSubscription(snapshot).GetProperty("properties").GetProperty("filter")
            .GetProperty("advancedFilters")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void No_subscription_before_the_app_package_is_published()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { SubscribeVmLifecycleEvents = false });

        Assert.Empty(snapshot.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        Assert.Single(snapshot.OfType("Microsoft.EventGrid/systemTopics"));
    }

    [Fact]
    public void An_existing_system_topic_is_reused_instead_of_creating_a_second_one_for_the_same_source()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { ExistingEventTopicName = "contoso-rg-events" });

        Assert.Empty(snapshot.OfType("Microsoft.EventGrid/systemTopics"));
        var subscription = EventSubscription(snapshot);
        Assert.Equal(
            $"{DeploymentSnapshot.ResourceGroupId}/providers/Microsoft.EventGrid/systemTopics/contoso-rg-events/eventSubscriptions/vm-instance-writes",
            DeploymentSnapshot.Id(subscription));
        Assert.Equal(Operations, subscription.GetProperty("properties").GetProperty("filter")
            .GetProperty("advancedFilters")[0].GetProperty("values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("contoso-rg-events", snapshot.Outputs.GetProperty("eventTopicName").GetString());
    }

    private static JsonElement EventSubscription(DeploymentSnapshot snapshot)
        => snapshot.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
}
