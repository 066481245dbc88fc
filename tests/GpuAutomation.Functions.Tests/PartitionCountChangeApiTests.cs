using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// <c>PUT /api/clusters/{c}/partition-count</c> over the real core: all nodes or none. Before the core owned this, one
/// busy node got 202, node1's change sent and node2's refused — a cluster with two partition counts.
/// </summary>
public sealed class PartitionCountChangeApiTests : IAsyncLifetime
{
    private readonly InMemoryMessageBus _bus = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(HostingMode.FunctionsHost, services => services.AddSingleton<IMessageBus>(_bus));
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1"), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2"), default);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _bus.DisposeAsync();
    }

    [Fact]
    public async Task With_one_node_busy_the_change_is_409_naming_that_node_and_nothing_is_stored_or_sent()
    {
        var (assigned, _) = await SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node2"}""");
        Assert.Equal(HttpStatusCode.Accepted, assigned);

        var (status, problem) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", """{"partitionCount":8}""");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal(RequestCodes.NodeBusy, problem!["code"]!.GetValue<string>());
        var node = Assert.Single(problem["nodes"]!.AsArray());
        Assert.Equal(("node2", RequestCodes.NodeBusy), (node!["node"]!.GetValue<string>(), node["code"]!.GetValue<string>()));
        var stored = (await _app.Services.GetRequiredService<PartitionRequestService>().ListAsync(new RequestListQuery(ControlPlaneFixture.Cluster, PageSize: 200), default)).Requests;
        Assert.DoesNotContain(stored, r => r.Action == PartitionAction.ConfigurePartitionCount);
        await Task.Delay(200);
        Assert.Empty(await DrainAsync(QueueNames.Commands(ControlPlaneFixture.Cluster, "node1")));
    }

    [Fact]
    public async Task An_idle_cluster_answers_202_with_one_request_per_node()
    {
        var (status, body) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", """{"partitionCount":8}""");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(["node1", "node2"], body!["requests"]!.AsArray().Select(r => r!["node"]!.GetValue<string>()).Order());
        Assert.Empty(body["warnings"]!.AsArray());
    }

    private async Task<List<string>> DrainAsync(string queue)
    {
        var seen = new List<string>();
        await using var consumer = await _bus.StartConsumerAsync(queue, (message, _) =>
        {
            lock (seen)
            {
                seen.Add(message.Message.Envelope.MessageId);
            }

            return Task.FromResult(Settlement.Complete);
        });
        await Task.Delay(300);
        lock (seen)
        {
            return [.. seen];
        }
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add(Principals.Header, Principals.Operator);
        using var response = await _app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
