using System.Collections.Concurrent;
using System.Diagnostics;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.Topology;
using GpuAutomation.Testing;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>
/// Two agent processes started as an operator would (--simulate, --node, --cluster, --bus), one per node of the
/// sample cluster, over RabbitMQ, sharing the emulated cluster through its state file.
/// </summary>
[Collection("rabbitmq")]
public sealed class SimulatedProcessTests : IAsyncLifetime
{
    private const string Cluster = "hci-cluster1";
    private static readonly Guid Vdi01 = Guid.Parse("1d0c6f2e-0000-4000-8000-000000000001");
    private static readonly Guid Vdi02 = Guid.Parse("1d0c6f2e-0000-4000-8000-000000000002");
    private static readonly Guid Render02 = Guid.Parse("1d0c6f2e-0000-4000-8000-000000000005");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hostrunner-processes-" + Guid.NewGuid().ToString("N"));
    private readonly List<Process> _processes = [];
    private readonly ConcurrentQueue<Message> _reports = new();
    private readonly ConcurrentQueue<string> _output = new();
    private AmqpMessageBus? _bus;
    private IMessageConsumer? _consumer;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        File.Copy(RepositoryPaths.Combine("src", "HostRunner", "Simulation", "Samples", "two-node-a2.json"), Description);
        _bus = AmqpMessageBus.Create(TestServices.AmqpAddress.ToString());
        _consumer = await Bounded.RunAsync("Starting the reports consumer", () => _bus.StartConsumerAsync(QueueNames.Reports, (m, _) =>
        {
            _reports.Enqueue(m.Message);
            return Task.FromResult(Settlement.Complete);
        }));
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await Bounded.RunAsync("Waiting for the killed agent process to exit", () => process.WaitForExitAsync());
            }

            process.Dispose();
        }

        if (_consumer is { } reportConsumer)
        {
            await Bounded.RunAsync("Disposing the reports consumer", () => reportConsumer.DisposeAsync().AsTask());
        }

        if (_bus is { } amqp)
        {
            await Bounded.RunAsync("Disposing the bus", () => amqp.DisposeAsync().AsTask());
        }

        Directory.Delete(_folder, recursive: true);
    }

    private string Description => Path.Combine(_folder, "cluster.json");

    [Fact]
    public async Task Two_simulate_processes_form_one_cluster_and_execute_commands()
    {
        Start("node1");
        Start("node2");
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node1");
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node2");

        var id = Guid.NewGuid().ToString("N");
        await Bounded.RunAsync("Sending the command", () => _bus!.PublishAsync(QueueNames.Commands(Cluster, "node1"), Message.Create(new AssignPartition("vdi-02"), id, Cluster, "node1", DateTimeOffset.UtcNow, "request-1", DateTimeOffset.UtcNow.AddMinutes(5))));
        var result = await WaitForAsync<CommandResult>(r => r.CommandId == id);
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Contains(result.InventoryAfter!.Vms, v => v.Id == Vdi02 && v.HasPartition && v.PowerState == VmPowerState.Running);

        // An operator moves render-02 from node2 to node1 outside the automation: node2's process sees it leave
        // for node1 (a move) and node1's process sees it arrive, because both read the one shared cluster.
        var outside = new SharedStateCimClient(EmulatedCluster.Load(Description), "node1", Description + ".state.json");
        await Bounded.RunAsync("Moving render-02 outside the automation", () => outside.ChangeAsync(c => c.MoveVm(Render02, "node1")));
        var moved = await WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmMoved && e.VmId == Render02);
        Assert.Equal(("node1", "node2"), (moved.Node, moved.FromNode));
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node1" && s.Inventory.Vms.Any(v => v.Id == Render02));
        Assert.DoesNotContain(_reports, r => r.Body is ClusterEvent { Kind: ClusterEventKind.VmCreated, VmId: var vm } && vm == Render02);
    }

    [Fact]
    public async Task A_move_asked_of_one_process_lands_the_vm_running_on_the_other_processs_node()
    {
        Start("node1");
        Start("node2");
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node1");
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node2");

        // vdi-01 runs with a partition on node1; the sample's R553 drivers rule live migration out, so it restarts on node2.
        var id = Guid.NewGuid().ToString("N");
        var move = new MoveVm("vdi-01", Vdi01, "node2", MoveMode.Live, LiveMigrationFallback.StopMoveStart);
        await Bounded.RunAsync("Sending the move", () => _bus!.PublishAsync(QueueNames.Commands(Cluster, "node1"), Message.Create(move, id, Cluster, "node1", DateTimeOffset.UtcNow, "request-2", DateTimeOffset.UtcNow.AddMinutes(5))));
        var result = await WaitForAsync<CommandResult>(r => r.CommandId == id);

        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        Assert.Equal(("node1", "node2", MoveMethod.StopMoveStart, VmPowerState.Running), (result.Placement!.FromNode, result.Placement.Node, result.Placement.Method, result.Placement.PowerState));
        await WaitForAsync<InventorySnapshot>(s => s.Inventory.Node == "node2" && s.Inventory.Vms.Any(v => v.Id == Vdi01 && v.HasPartition && v.PowerState == VmPowerState.Running));
        var moved = await WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmMoved && e.VmId == Vdi01);
        Assert.Equal(("node2", "node1"), (moved.Node, moved.FromNode));
    }

    private void Start(string node)
    {
        var dll = Path.Combine(RepositoryPaths.Combine("src", "HostRunner", "bin"), Path.GetRelativePath(Path.Combine(RepositoryPaths.Root, "tests", "GpuAutomation.HostRunner.Agent.Tests", "bin"), AppContext.BaseDirectory), "GpuAutomation.HostRunner.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { dll, "--simulate", Description, "--node", node, "--cluster", Cluster, "--bus", TestServices.AmqpAddress.ToString(), "--journal", Path.Combine(_folder, node) })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HOSTRUNNER_ChangePollInterval"] = "0.5";
        start.Environment["HOSTRUNNER_PollInterval"] = "0.02";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => _output.Enqueue($"{node}: {e.Data}");
        process.ErrorDataReceived += (_, e) => _output.Enqueue($"{node} err: {e.Data}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private async Task<T> WaitForAsync<T>(Func<T, bool> match)
        where T : IMessageBody
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_reports.Select(r => r.Body).OfType<T>().FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No matching {typeof(T).Name} within 60 s. Process output:{Environment.NewLine}{string.Join(Environment.NewLine, _output.TakeLast(40))}");
    }
}
