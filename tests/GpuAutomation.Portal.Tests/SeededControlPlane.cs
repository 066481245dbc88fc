using System.Text;
using System.Text.Json;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// The Sandbox's control plane app without agents, its inventory store seeded with the clusters a test describes (as
/// if their nodes had reported): worlds the simulated cluster can't show cheaply (a full node, stranded GPU VMs, one
/// node), and where nothing the control plane sends is ever executed, so a queued request stays queued.
/// </summary>
public sealed class SeededControlPlane : IAsyncDisposable
{
    private const string Model = "NVIDIA A2";

    private readonly WebApplication _app;
    private readonly InMemoryMessageBus _bus;

    private SeededControlPlane(WebApplication app, InMemoryMessageBus bus, Uri address)
    {
        _app = app;
        _bus = bus;
        Address = address;
        Http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public Uri PortalAddress => new(Address, "api/portal/");

    /// <summary>Calls the API as the development identity (both roles).</summary>
    public HttpClient Http { get; }

    public static async Task<SeededControlPlane> StartAsync(string cluster, params NodeInventory[] nodes)
    {
        var bus = new InMemoryMessageBus();
        var app = ControlPlaneHost.Create(new SandboxOptions(Port: 0), bus, cluster, [.. nodes.Select(n => n.Node)]);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
        var seeded = new SeededControlPlane(app, bus, address);
        await seeded.SeedAsync(cluster, nodes);
        return seeded;
    }

    /// <summary>Stores <paramref name="nodes"/> as <paramref name="cluster"/>'s latest inventory.</summary>
    public async Task SeedAsync(string cluster, params NodeInventory[] nodes)
    {
        var store = _app.Services.GetRequiredService<InventoryStore>();
        foreach (var node in nodes)
        {
            await store.ChangeAsync(cluster, node.Node, _ => node, CancellationToken.None);
        }
    }

    /// <summary>Partitions per GPU on every seeded node: a cluster must be homogeneous, or admission refuses everything.</summary>
    public const int PartitionsPerGpu = 2;

    /// <summary>
    /// A node with <paramref name="gpus"/> NVIDIA A2s of <see cref="PartitionsPerGpu"/> partitions; the VMs named in
    /// <paramref name="holders"/> hold one each (filling GPU after GPU), the <paramref name="others"/> none. Every VM is clustered.
    /// </summary>
    public static NodeInventory Node(string node, int gpus, string[] holders, params string[] others)
    {
        ArgumentNullException.ThrowIfNull(holders);
        if (holders.Length > gpus * PartitionsPerGpu)
        {
            throw new ArgumentException($"{holders.Length} holders don't fit {gpus} GPU(s) of {PartitionsPerGpu} partitions.", nameof(holders));
        }

        string PathOf(int gpu) => $@"PCI\VEN_10DE&DEV_25B6\{node}&{gpu:D4}";
        var vms = holders.Select((name, i) => Vm(name, node, [new PartitionAdapter($"adapter-{i}", PathOf(i / PartitionsPerGpu), i % PartitionsPerGpu, null)]))
            .Concat(others.Select(name => Vm(name, node, [])))
            .ToList();
        var cards = Enumerable.Range(0, gpus).Select(g => new GpuInventory(
            PathOf(g), null, "NVIDIA", Model, 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2, 1], PartitionsPerGpu, null,
            [.. holders.Select((name, i) => (name, i)).Where(x => x.i / PartitionsPerGpu == g).Select(x => new GpuPartitionAssignment(x.i % PartitionsPerGpu, x.name, IdOf(x.name), null))]));
        return new NodeInventory(node, DateTimeOffset.UtcNow, new HostFacts("26100.1", true, true), [.. cards], vms);
    }

    private static VmInventory Vm(string name, string node, IReadOnlyList<PartitionAdapter> adapters)
        => new(name, IdOf(name), VmPowerState.Off, node, adapters, true, OfflineAction.ForceShutdown, null);

    private static Guid IdOf(string name) => new(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16));

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json = null, bool ensureSuccess = true)
    {
        using var request = new HttpRequestMessage(method, new Uri(path.TrimStart('/'), UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (ensureSuccess && !response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _bus.DisposeAsync();
    }
}
