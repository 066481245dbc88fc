using System.Collections.Concurrent;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Agent;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>An emulated cluster, a bus, a journal folder and agents over them; collects everything sent to the reports queue.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    public const string ClusterName = "cluster1";
    public const string Node = "node1";

    public static readonly Guid Web = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000001");
    public static readonly Guid Gpu = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000002");
    public static readonly Guid NoShutdown = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000003");
    public static readonly Guid Stopped = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000004");

    private readonly ConcurrentQueue<Message> _reports = new();
    private readonly List<HostRunnerAgent> _agents = [];
    private IMessageConsumer? _reportConsumer;

    /// <param name="gpuDriver">Both nodes' GPU driver (Windows form); the default is an R553 driver (vGPU 17), too old for GPU-P live migration.</param>
    /// <param name="node2OsBuild">node2's OS build (node1 runs 26100).</param>
    public AgentHarness(IMessageBus? bus = null, TimeSpan? changePoll = null, bool fullGpu = false, string gpuDriver = "32.0.15.5324", string node2OsBuild = "26100")
    {
        Bus = bus ?? new InMemoryMessageBus();
        ChangePoll = changePoll ?? TimeSpan.FromHours(1);
        Cluster = new EmulatedCluster(new ClusterDescription(
            ClusterName,
            [
                new NodeDescription(
                    Node,
                    [new GpuDescription("NVIDIA A2", 4, DriverVersion: gpuDriver), new GpuDescription("NVIDIA A2", Dda: true, DriverVersion: gpuDriver)],
                    [
                        new VmDescription("web", Web, VmPowerState.Running),
                        new VmDescription("gpu", Gpu, VmPowerState.Running, OfflineAction: OfflineAction.ForceShutdown, HasPartition: true),
                        new VmDescription("noshut", NoShutdown, VmPowerState.Running, ShutdownIntegration: false),
                        new VmDescription("stopped", Stopped, VmPowerState.Off),
                        new VmDescription("twin", State: VmPowerState.Off),
                        new VmDescription("twin", State: VmPowerState.Off),
                        .. fullGpu ? [new VmDescription("f1", HasPartition: true), new VmDescription("f2", HasPartition: true), new VmDescription("f3", HasPartition: true)] : Array.Empty<VmDescription>(),
                    ]),
                new NodeDescription("node2", [new GpuDescription("NVIDIA A2", 2, DriverVersion: gpuDriver)], [], OsBuild: node2OsBuild),
            ]));
        JournalFolder = Path.Combine(Path.GetTempPath(), "hostrunner-tests-" + Guid.NewGuid().ToString("N"));
    }

    public IMessageBus Bus { get; }

    public EmulatedCluster Cluster { get; }

    public string JournalFolder { get; }

    public TimeSpan ChangePoll { get; }

    public HostRunnerOptions Options => new()
    {
        Node = Node,
        Cluster = ClusterName,
        Bus = "amqp://127.0.0.1:5672",
        JournalFolder = JournalFolder,
        ShutdownTimeout = TimeSpan.FromSeconds(2),
        JobTimeout = TimeSpan.FromSeconds(10),
        PollInterval = TimeSpan.FromMilliseconds(5),
        StopGracePeriod = TimeSpan.Zero,
        ChangePollInterval = ChangePoll,
    };

    public IReadOnlyList<Message> Reports => [.. _reports];

    /// <summary>The node's report tokens, when a test gives it an identity; none by default (development trust).</summary>
    public GpuAutomation.HostRunner.Reporting.ReportTokenSource? ReportTokens { get; set; }

    public async Task<HostRunnerAgent> StartAgentAsync()
    {
        _reportConsumer ??= await Bounded.RunAsync("Starting the reports consumer", () => Bus.StartConsumerAsync(QueueNames.Reports, (m, _) =>
        {
            _reports.Enqueue(m.Message);
            return Task.FromResult(Settlement.Complete);
        }));
        var agent = new HostRunnerAgent(Options, Bus, Cluster.ClientFor(Node), reportTokens: ReportTokens);
        _agents.Add(agent);
        await Bounded.RunAsync("Starting the agent", () => agent.StartAsync());
        return agent;
    }

    /// <summary>Stops <paramref name="agent"/> as a crash would leave it: the command in progress stays unfinished in the journal.</summary>
    public Task StopAgentAsync(HostRunnerAgent agent) => Bounded.RunAsync("Stopping the agent", () => agent.StopAsync());

    /// <summary>Sends a command to the agent's queue; <paramref name="addressedCluster"/> puts another cluster in its envelope.</summary>
    public async Task<string> SendAsync(IMessageBody command, string? id = null, DateTimeOffset? issuedAt = null, DateTimeOffset? expiresAt = null, string? addressedCluster = null)
    {
        id ??= Guid.NewGuid().ToString("N");
        var issued = issuedAt ?? DateTimeOffset.UtcNow;
        await Bounded.RunAsync("Sending the command", () => Bus.PublishAsync(QueueNames.Commands(ClusterName, Node), Message.Create(command, id, addressedCluster ?? ClusterName, Node, issued, "request-" + id, expiresAt ?? issued.AddHours(1))));
        return id;
    }

    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan? timeout = null, int count = 1)
        where T : IMessageBody
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            var found = _reports.Select(r => r.Body).OfType<T>().Where(match).ToList();
            if (found.Count >= count)
            {
                return found[count - 1];
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"No {typeof(T).Name} (#{count}) matched within the timeout; got {_reports.Count} report(s): {string.Join(", ", _reports.Select(r => r.Envelope.MessageType))}.");
    }

    public Task<CommandResult> ResultAsync(string commandId, int count = 1) => WaitForAsync<CommandResult>(r => r.CommandId == commandId, count: count);

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            await Bounded.RunAsync("Disposing the agent", () => agent.DisposeAsync().AsTask());
        }

        if (_reportConsumer is { } consumer)
        {
            await Bounded.RunAsync("Disposing the reports consumer", () => consumer.DisposeAsync().AsTask());
        }

        await Bounded.RunAsync("Disposing the bus", () => Bus.DisposeAsync().AsTask());
        if (Directory.Exists(JournalFolder))
        {
            Directory.Delete(JournalFolder, recursive: true);
        }
    }
}
