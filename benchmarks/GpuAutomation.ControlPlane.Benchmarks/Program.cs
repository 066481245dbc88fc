using GpuAutomation.ControlPlane;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Azure.Data.Tables;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Messaging;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Figures of the control plane core: request acceptance throughput (sequential and contended) on the in-memory
// store and, when GPUAUTO_TEST_AZURITE_TABLES names an Azurite table endpoint, on Azurite; and snapshot sizes.
var output = Console.Out;
var azurite = Environment.GetEnvironmentVariable("GPUAUTO_TEST_AZURITE_TABLES");
if (args.Contains("--queue-only") && azurite is { Length: > 0 })
{
    // Only issue 18's queue drain figure (it takes a while: 2,000 submissions first).
    await QueueDrainFigures.RunAsync(output, "Azurite", () => new TableStorageRecordTableSource(new TableServiceClient(azurite), "q" + Guid.NewGuid().ToString("N")[..12]), Plane);
    return;
}

if (args.Contains("--compliance-only"))
{
    ComplianceScanFigures.Run(output, rounds: 9);
    return;
}

SnapshotSizes(output);
RolloutPlanningFigures.Run(output, rounds: 50);
ComplianceScanFigures.Run(output, rounds: 9);
await Acceptance(output, "in-memory", () => new InMemoryRecordTableSource(), sequential: 1000, contenders: 500, free: 16);
if (azurite is { Length: > 0 })
{
    await Acceptance(output, "Azurite", () => new TableStorageRecordTableSource(new TableServiceClient(azurite), "b" + Guid.NewGuid().ToString("N")[..12]), sequential: 200, contenders: 200, free: 16);
    await QueueDrainFigures.RunAsync(output, "Azurite", () => new TableStorageRecordTableSource(new TableServiceClient(azurite), "q" + Guid.NewGuid().ToString("N")[..12]), Plane);
}
else
{
    output.WriteLine("Azurite: skipped (set GPUAUTO_TEST_AZURITE_TABLES, e.g. from scratch/dev-services.env)");
}

static void SnapshotSizes(TextWriter output)
{
    foreach (var vms in new[] { 16, 256, 1024 })
    {
        var node = Node("node1", DateTimeOffset.UtcNow, vms, vms);
        var json = JsonSerializer.SerializeToUtf8Bytes(node, ControlPlaneJsonContext.Default.NodeInventory);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"snapshot with {vms,4} VMs: {json.Length,8:N0} bytes JSON, {buffer.Length,7:N0} bytes stored ({(buffer.Length + 65535) / 65536} property chunk(s))"));
    }
}

static async Task Acceptance(TextWriter output, string backend, Func<IRecordTableSource> tables, int sequential, int contenders, int free)
{
    using (var plane = Plane(tables()))
    {
        // A 4-node cluster of 100 VMs per node; each request runs its whole control-plane round trip:
        // validate, accept + reserve + outbox, publish, mark dispatched, then the host's result frees the partition.
        var nodes = Enumerable.Range(1, 4).Select(n => Node($"node{n}", DateTimeOffset.UtcNow, 100, 16)).ToList();
        var intake = plane.GetRequiredService<ReportIntake>();
        foreach (var node in nodes)
        {
            await intake.HandleAsync(Message.Create(new InventorySnapshot(node), "seed-" + node.Node, "clus1", node.Node, node.TakenAt), default);
        }

        var service = plane.GetRequiredService<PartitionRequestService>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < sequential; i++)
        {
            var vm = nodes[i % 4].Vms[i / 4 % 100];
            var request = (await service.SubmitAsync(PartitionRequestSubmission.Assign("clus1", vm.Name, vm.Id), default)).Request;
            if (request.Status == RequestStatus.Rejected)
            {
                throw new InvalidOperationException($"{vm.Name} was rejected: {request.Error}");
            }

            var now = DateTimeOffset.UtcNow;
            var result = new CommandResult(request.CommandId!, MessageTypes.AssignPartition, CommandOutcome.Failed, [], new CommandError("vm-locked", "The VM is locked."), null, now, now);
            await intake.HandleAsync(Message.Create(result, "r" + request.CommandId, "clus1", request.Node, now, request.Id), default);
        }

        watch.Stop();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{backend}: {sequential} request round trips (submit + result), 4 nodes x 100 VMs, in {watch.Elapsed.TotalMilliseconds:N0} ms = {sequential / watch.Elapsed.TotalSeconds:N0}/s, {watch.Elapsed.TotalMilliseconds / sequential:N2} ms each"));
    }

    using (var plane = Plane(tables()))
    {
        await Seed(plane, free, contenders);
        var service = plane.GetRequiredService<PartitionRequestService>();
        var watch = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, contenders).Select(i => Task.Run(() => service.SubmitAsync(PartitionRequestSubmission.Assign("clus1", $"vm{i}"), default))));
        watch.Stop();
        var accepted = outcomes.Count(o => !o.IsRejected);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{backend}: {contenders} simultaneous assigns for {free} free partitions: {accepted} accepted, {contenders - accepted} rejected, all stored, in {watch.Elapsed.TotalMilliseconds:N0} ms"));
    }
}

static ServiceProvider Plane(IRecordTableSource tables)
{
    var services = new ServiceCollection();
    services.AddSingleton(tables);
    services.AddSingleton<IMessageBus, CountingPublisher>();
    services.AddLogging();
    // The benchmark's nodes are registered, as a deployment's are: reports of unregistered nodes are refused.
    services.AddControlPlaneCore(new ConfigurationBuilder().AddInMemoryCollection(Enumerable.Range(1, 4).Select(n => new KeyValuePair<string, string?>($"GpuAutomation:Nodes:clus1:node{n}:PrincipalId", $"bench-node{n}")).Append(new("GpuAutomation:ReportAuthentication:DevelopmentTrust", "true"))).Build());
    return services.BuildServiceProvider();
}

static async Task Seed(ServiceProvider plane, int partitions, int vms)
{
    var node = Node("node1", DateTimeOffset.UtcNow, vms, partitions);
    await plane.GetRequiredService<ReportIntake>().HandleAsync(Message.Create(new InventorySnapshot(node), "seed", "clus1", "node1", node.TakenAt), default);
}

static NodeInventory Node(string name, DateTimeOffset at, int vms, int partitions)
{
    var gpu = new GpuInventory("gpu0", "PCI\\gpu0", "NVIDIA", "A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], partitions, null, []);
    var list = Enumerable.Range(0, vms)
        .Select(i => new VmInventory($"vm{i}", Guid.NewGuid(), VmPowerState.Running, name, [], true, OfflineAction.ForceShutdown, $"owner: team-{i % 7}; created by pipeline run {i}"))
        .ToList();
    return new NodeInventory(name, at, new HostFacts("26100", true, true), [gpu], list);
}

/// <summary>A bus that only counts: the figures are the control plane's, not a broker's.</summary>
internal sealed class CountingPublisher : IMessageBus
{
    private int _count;

    public int Count => _count;

    public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _count);
        return Task.CompletedTask;
    }

    public Task<IMessageConsumer> StartConsumerAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("The benchmark only publishes.");

    public Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
        => throw new NotSupportedException("The benchmark only publishes.");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
