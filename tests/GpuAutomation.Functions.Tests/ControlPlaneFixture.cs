using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The composed app (core, stores, bus) on real Kestrel, with the stores on Azurite (tables of its own, by prefix)
/// and an in-memory bus the test can read node queues from. Reports reach it the way the host delivers them.
/// </summary>
public sealed class ControlPlaneFixture : IAsyncDisposable
{
    public const string Cluster = "cl1";
    public const string GpuPath = @"PCI\VEN_10DE&DEV_25B6\4&1A2B3C4D&0&0010";
    public static readonly Guid VmOneId = Guid.Parse("11111111-1111-4111-8111-111111111111");
    public static readonly Guid VmTwoId = Guid.Parse("22222222-2222-4222-8222-222222222222");

    private readonly ConcurrentDictionary<string, IMessageConsumer> _consumers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Message>> _received = new(StringComparer.Ordinal);

    private ControlPlaneFixture(RunningApp app, InMemoryMessageBus bus, LocalTokenIssuer issuer)
    {
        App = app;
        Bus = bus;
        Issuer = issuer;
    }

    /// <summary>The tenant the app trusts for reports: every report the fixture sends carries its node's token.</summary>
    public LocalTokenIssuer Issuer { get; }

    public static string PrincipalOf(string node) => $"00000000-0000-4000-8000-00000000000{node[^1]}";

    /// <summary>An access token of <paramref name="node"/>'s managed identity, valid now.</summary>
    public string TokenOf(string node) => Issuer.Token(PrincipalOf(node), DateTimeOffset.UtcNow.AddMinutes(-1));

    /// <summary>The message as its node's agent sends it: with the node's token.</summary>
    public Message Signed(Message message) => message with { SenderToken = TokenOf(message.Envelope.Node) };

    public RunningApp App { get; }

    public InMemoryMessageBus Bus { get; }

    public static async Task<ControlPlaneFixture> StartAsync(HostingMode mode = HostingMode.FunctionsHost, IReadOnlyDictionary<string, string>? settings = null)
    {
        var bus = new InMemoryMessageBus();
        var issuer = new LocalTokenIssuer();
        var all = new Dictionary<string, string>(issuer.Settings().Select(s => new KeyValuePair<string, string>(s.Key, s.Value!)))
        {
            ["GpuAutomation:Tables:ConnectionString"] = TestServices.AzuriteTablesConnectionString,
            ["GpuAutomation:ControlPlane:TablePrefix"] = "t" + Guid.NewGuid().ToString("N")[..12],

            // Reports count only from registered nodes (issue 16): the test cluster's nodes, as a deployment lists them.
            [$"GpuAutomation:Nodes:{Cluster}:node1:PrincipalId"] = PrincipalOf("node1"),
            [$"GpuAutomation:Nodes:{Cluster}:node2:PrincipalId"] = PrincipalOf("node2"),
            [$"GpuAutomation:Nodes:{Cluster}:node3:PrincipalId"] = PrincipalOf("node3"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        // Reports are authenticated for real: the production key source reads the local issuer's metadata and keys.
        var app = await RunningApp.StartAsync(
            mode,
            services => services.AddSingleton<IMessageBus>(bus).AddSingleton<IReportSigningKeySource>(new OpenIdSigningKeySource(issuer.MetadataAddress, issuer)),
            all);
        return new ControlPlaneFixture(app, bus, issuer);
    }

    /// <summary>A node with one NVIDIA A2 partitioned 4 ways, and VMs; vmOne holds partition 0 when <paramref name="vmOneHolds"/>.</summary>
    public static NodeInventory Node(string node, int partitionCount = 4, bool vmOneHolds = false, string model = "A2", DateTimeOffset? takenAt = null, string gpuPath = GpuPath)
    {
        var partitions = vmOneHolds ? new[] { new GpuPartitionAssignment(0, "vm-one", VmOneId, "luid-0") } : [];
        var gpu = new GpuInventory(gpuPath, @"PCI\VEN_10DE&DEV_25B6\4&1A2B3C4D&0&0010", "NVIDIA", model, 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], partitionCount, null, partitions);
        var vms = new List<VmInventory>
        {
            new("vm-one", VmOneId, VmPowerState.Running, node, vmOneHolds ? [new PartitionAdapter("adapter-1", gpuPath, 0, "luid-0")] : [], true, OfflineAction.Save, null),
            new("vm-two", VmTwoId, VmPowerState.Off, node, [], true, OfflineAction.ForceShutdown, null),
        };
        return new NodeInventory(node, takenAt ?? DateTimeOffset.UtcNow, new HostFacts("26100.1", true, true), [gpu], vms);
    }

    public async Task<JsonNode> ReportAsync(IMessageBody body, string node, string? correlationId = null)
    {
        var message = Message.Create(body, Guid.NewGuid().ToString("N"), Cluster, node, DateTimeOffset.UtcNow, correlationId);
        using var response = await App.Client.PostAsync(
            new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
            new StringContent(Payloads.ServiceBusBinary(MessageCodec.Encode(message), message.Envelope.MessageId, senderToken: TokenOf(node)), Encoding.UTF8, "application/json"));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, json.ToJsonString());
        Assert.Equal(InvocationOutcome.Processed, json["ReturnValue"]!["Status"]!.GetValue<string>());
        return json;
    }

    public Task SeedAsync(params NodeInventory[] nodes)
        => Task.WhenAll(nodes.Select(n => ReportAsync(new InventorySnapshot(n), n.Node)));

    public async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method,
        string path,
        string? json = null,
        string? principal = null,
        string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Add(Principals.Header, principal ?? Principals.WithRoles("GpuAutomation.Reader", "GpuAutomation.Operator"));
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        var response = await App.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    /// <summary>Messages published on <paramref name="queue"/> so far (a consumer starts on first call and keeps collecting).</summary>
    public async Task<IReadOnlyList<Message>> CommandsAsync(string queue, int atLeast = 0, TimeSpan? wait = null)
    {
        var received = _received.GetOrAdd(queue, _ => new ConcurrentQueue<Message>());
        if (!_consumers.ContainsKey(queue))
        {
            _consumers[queue] = await Bus.StartConsumerAsync(queue, (m, _) =>
            {
                received.Enqueue(m.Message);
                return Task.FromResult(Settlement.Complete);
            });
        }

        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(atLeast == 0 ? 0.3 : 10));
        while (received.Count < atLeast && DateTime.UtcNow < deadline || atLeast == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return [.. received];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers.Values)
        {
            await consumer.DisposeAsync();
        }

        await App.DisposeAsync();
        await Bus.DisposeAsync();
        Issuer.Dispose();
    }
}
