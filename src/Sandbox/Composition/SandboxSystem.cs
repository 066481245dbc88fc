using System.Reflection;
using GpuAutomation.HostRunner.Agent;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging.InMemory;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace GpuAutomation.Sandbox.Composition;

/// <summary>
/// The whole product in one process: the control plane (local trigger mode, development identity, in-memory stores)
/// on 127.0.0.1, the in-memory bus, and one HostRunner agent per simulated node over the CIM emulator.
/// </summary>
public sealed class SandboxSystem : IAsyncDisposable
{
    /// <summary>The in-process bus needs no address; the agent's options still require a well-formed one.</summary>
    private const string InProcessBus = "amqp://in-process.sandbox";

    private readonly WebApplication _app;
    private readonly List<HostRunnerAgent> _agents;
    private readonly InMemoryMessageBus _bus;
    private readonly string _journalRoot;

    private SandboxSystem(WebApplication app, List<HostRunnerAgent> agents, InMemoryMessageBus bus, EmulatedCluster cluster, string journalRoot, Uri baseAddress)
    {
        this._app = app;
        this._agents = agents;
        this._bus = bus;
        this._journalRoot = journalRoot;
        Cluster = cluster;
        BaseAddress = baseAddress;
    }

    /// <summary>The simulated world: what the scenario changes as "the outside world" (new VMs, drift).</summary>
    public EmulatedCluster Cluster { get; }

    public string ClusterName => Cluster.Name ?? "sandbox";

    /// <summary>Cancelled when the process is asked to stop (Ctrl+C, SIGTERM), through the web host's console lifetime.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>The control plane's address, e.g. http://127.0.0.1:7071/.</summary>
    public Uri BaseAddress { get; }

    public static async Task<SandboxSystem> StartAsync(SandboxOptions options, ILoggerFactory agentLoggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = options.ClusterFile is { } file ? EmulatedCluster.Load(file) : EmulatedCluster.Parse(DefaultDescription());
        if (cluster.Name is null)
        {
            throw new InvalidOperationException("The cluster description has no \"name\": the Sandbox runs one failover cluster.");
        }

        var bus = new InMemoryMessageBus(loggerFactory: agentLoggers);
        var journalRoot = Path.Combine(Path.GetTempPath(), "gpu-automation-sandbox", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var agents = new List<HostRunnerAgent>();
        WebApplication? app = null;
        try
        {
            app = ControlPlaneHost.Create(options, bus, cluster.Name, cluster.Nodes);
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

            foreach (var node in cluster.Nodes)
            {
                var agentOptions = new HostRunnerOptions
                {
                    Node = node,
                    Cluster = cluster.Name,
                    Bus = InProcessBus,
                    JournalFolder = Path.Combine(journalRoot, node),
                    // A user watching the Sandbox should see a new VM or injected drift within a second or two.
                    ChangePollInterval = TimeSpan.FromSeconds(1),
                    InventoryInterval = TimeSpan.FromMinutes(1),
                    PollInterval = TimeSpan.FromMilliseconds(50),
                    ShutdownTimeout = TimeSpan.FromSeconds(10),
                    StopGracePeriod = TimeSpan.FromSeconds(5),
                };
                var agent = new HostRunnerAgent(agentOptions, bus, cluster.ClientFor(node), loggerFactory: agentLoggers, nvidiaSmi: cluster.NvidiaSmiFor(node));
                agents.Add(agent);
                await agent.StartAsync(cancellationToken);
            }

            return new SandboxSystem(app, agents, bus, cluster, journalRoot, new Uri(address.TrimEnd('/') + "/"));
        }
        catch
        {
            await StopAllAsync(app, agents, bus, journalRoot);
            throw;
        }
    }

    /// <summary>The built-in 2-node cluster (Simulation/sandbox-cluster.json).</summary>
    public static string DefaultDescription()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("sandbox-cluster.json")
            ?? throw new InvalidOperationException("The built-in cluster description is missing from the Sandbox assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync() => await StopAllAsync(_app, _agents, _bus, _journalRoot);

    private static async Task StopAllAsync(WebApplication? app, List<HostRunnerAgent> agents, InMemoryMessageBus bus, string journalRoot)
    {
        // Agents first, so no command is left half-run; then the control plane; the bus last, as both use it.
        foreach (var agent in agents)
        {
            await agent.StopAsync(CancellationToken.None);
            await agent.DisposeAsync();
        }

        if (app is not null)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        await bus.DisposeAsync();
        if (Directory.Exists(journalRoot))
        {
            Directory.Delete(journalRoot, recursive: true);
        }
    }
}
