using System.Text.Json;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.HostRunner.Tools;

namespace GpuAutomation.HostRunner.Tests.Tools;

public sealed class HostCaptureTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Taken = new(2026, 11, 29, 4, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hostrunner-capture-" + Guid.NewGuid().ToString("N"));

    public HostCaptureTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, true);

    /// <summary>Sample hosts: name → (cluster, node to capture).</summary>
    public static TheoryData<string> Samples => ["english-cluster", "german-standalone", "template-with-values", "sample-file"];

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task A_capture_loaded_back_gives_the_agent_the_same_inventory_and_the_same_check(string sample)
    {
        var (original, node) = Sample(sample);

        var json = HostCapture.Serialize(await new HostCapture(original.HostFor(node, Emulator.Fast)).ReadAsync(None));
        var reloaded = EmulatedCluster.Parse(json);

        Assert.Equal(Inventory(await original.HostFor(node, Emulator.Fast).Inventory.ReadAsync(None)), Inventory(await reloaded.HostFor(node, Emulator.Fast).Inventory.ReadAsync(None)));
        Assert.Equal(
            NodeCheck.Format(await new NodeCheck(original.HostFor(node, Emulator.Fast), null).RunAsync(None)),
            NodeCheck.Format(await new NodeCheck(reloaded.HostFor(node, Emulator.Fast), null).RunAsync(None)));
    }

    [Fact]
    public async Task The_capture_keeps_raw_cim_facts_null_template_values_and_localized_captions()
    {
        var (german, node) = Sample("german-standalone");

        var captured = (await new HostCapture(german.HostFor(node, Emulator.Fast)).ReadAsync(None)).Nodes.Single();

        Assert.All(captured.Captured!.TemplateValues.Values, Assert.Null);
        Assert.Equal(12, captured.Captured.TemplateValues.Count);
        Assert.Equal("Virtueller Computer", captured.Captured.VmCaption);
        Assert.Equal("Hostcomputersystem", captured.Captured.HostCaption);
        var gpu = captured.Gpus[0].Captured!;
        Assert.Equal([16, 8, 4, 2, 1], gpu.ValidPartitionCounts.Select(c => (int)c));
        Assert.Equal(16UL << 30, gpu.Values["TotalVRAM"]);
        Assert.Equal(1, gpu.RunningPartitions);
        var partitioned = captured.Vms.Single(v => v.HasPartition);
        Assert.Equal(2, partitioned.Captured!.EnabledState);
        Assert.NotNull(partitioned.Captured.PartitionVfLuid);
    }

    [Fact]
    public async Task A_template_with_values_is_captured_with_them_and_served_back()
    {
        var (host, node) = Sample("template-with-values");

        var captured = (await new HostCapture(host.HostFor(node, Emulator.Fast)).ReadAsync(None)).Nodes.Single();

        Assert.Equal(1_000_000_000UL, captured.Captured!.TemplateValues["MaxPartitionVRAM"]);
        Assert.Null(captured.Captured.TemplateValues["MinPartitionVRAM"]);
    }

    [Fact]
    public async Task Redaction_removes_every_original_name_and_id_and_keeps_the_structure()
    {
        var (original, node) = Sample("english-cluster");
        var description = await new HostCapture(original.HostFor(node, Emulator.Fast)).ReadAsync(None);
        var originalInventory = await original.HostFor(node, Emulator.Fast).Inventory.ReadAsync(None);
        var secrets = new List<string> { "cluster-contoso-prod", "hv-contoso-17", "payroll-gpu", "ceo-desktop", "scratch-box", "secret notes" };
        foreach (var known in originalInventory.Vms)
        {
            secrets.Add(known.Id.ToString("D"));
            secrets.Add(known.Id.ToString("D").ToUpperInvariant());
            secrets.AddRange(known.PartitionAdapters.Select(a => a.AdapterId.Split('\\')[1]));
            secrets.AddRange(known.PartitionAdapters.Select(a => a.PartitionVfLuid!));
        }

        secrets.AddRange(originalInventory.Gpus.Select(g => g.PnpInstanceId!.Split('\\')[2]));

        var redacted = new CaptureRedaction().Redact(description);
        var json = HostCapture.Serialize(redacted);

        Assert.Contains("#4&00000001&0&0000#", json, StringComparison.Ordinal);
        Assert.All(secrets, s => Assert.DoesNotContain(s, json, StringComparison.OrdinalIgnoreCase));
        var reloadedNode = redacted.Nodes.Single().Name;
        var inventory = await EmulatedCluster.Parse(json).HostFor(reloadedNode, Emulator.Fast).Inventory.ReadAsync(None);
        Assert.Equal(originalInventory.Gpus.Select(g => (g.Model, g.AssignedStatus, g.PartitionCount, g.Partitions.Count, g.MemoryMiB)), inventory.Gpus.Select(g => (g.Model, g.AssignedStatus, g.PartitionCount, g.Partitions.Count, g.MemoryMiB)));
        Assert.Equal(originalInventory.Vms.Select(v => (v.PowerState, v.IsClustered, v.OfflineAction, v.HasPartition)).Order(), inventory.Vms.Select(v => (v.PowerState, v.IsClustered, v.OfflineAction, v.HasPartition)).Order());

        // Same input, same pseudonym: the partitioned VM's GPU is one of the node's GPUs, its resource named after it.
        foreach (var vm in redacted.Nodes.Single().Vms.Where(v => v.HasPartition))
        {
            Assert.Contains(redacted.Nodes.Single().Gpus, g => g.InstancePath == vm.GpuInstancePath);
            Assert.Equal($"Virtual Machine {vm.Name}", vm.Captured!.ResourceName);
            Assert.StartsWith($"Microsoft:{vm.Id!.Value.ToString("D").ToUpperInvariant()}\\", vm.Captured.AdapterId, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_capture_command_writes_a_file_that_simulate_loads()
    {
        var file = Path.Combine(_folder, "node.json");
        var output = new StringWriter();

        var exit = await ToolCommand.RunAsync(["capture", "--simulate", SampleFile, "--node", "node2", "--out", file, "--redact"], output, new StringWriter(), None);

        Assert.Equal(0, exit);
        Assert.Contains("(redacted)", output.ToString(), StringComparison.Ordinal);
        var reloaded = EmulatedCluster.Load(file);
        Assert.Equal(["node-01"], reloaded.Nodes);
        Assert.DoesNotContain("render-01", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Equal(0, await ToolCommand.RunAsync(["check", "--simulate", file, "--node", "node-01"], new StringWriter(), new StringWriter(), None));
    }

    [Fact]
    public async Task Capture_without_out_cannot_run()
        => Assert.Equal(2, await ToolCommand.RunAsync(["capture", "--simulate", SampleFile, "--node", "node1"], new StringWriter(), new StringWriter(), None));

    internal static string SampleFile => Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json");

    /// <summary>The inventory without what differs per reader by design: when it was taken and the reader's start id and sequence.</summary>
    private static string Inventory(NodeInventory inventory)
        => JsonSerializer.Serialize(inventory with { TakenAt = Taken, AgentStart = null, Sequence = null }, ContractsJsonContext.Default.NodeInventory);

    /// <summary>
    /// A GPU no emulator model describes, as a client GPU-PV driver reports it: relative units, Min 0 and Max = Optimal =
    /// Total (Easy-GPU-PV issue #361), so only the captured values can reproduce it.
    /// </summary>
    private static readonly GpuDescription ClientGpu = new(
        "NVIDIA GeForce RTX 4080",
        8,
        @"\\?\PCI#VEN_10DE&DEV_2704&SUBSYS_167A10DE&REV_A1#4&2b1c1f3a&0&0008#{064092b3-625e-43bf-9eb5-dc845897dd59}\GPUPARAV",
        Captured: new GpuCapture(
            [32, 16, 8, 4, 2, 1],
            new[] { "VRAM", "Encode", "Decode", "Compute" }
                .SelectMany(r => new[] { ("Total", 1), ("Available", 1), ("MinPartition", 0), ("MaxPartition", 1), ("OptimalPartition", 1) }
                    .Select(p => (Name: p.Item1 + r, Value: p.Item2 == 0 ? 0UL : r == "Encode" ? ulong.MaxValue : 1_000_000_000UL)))
                .ToDictionary(p => p.Name, p => p.Value),
            "NVIDIA GeForce RTX 4080",
            "NVIDIA",
            0));

    internal static (EmulatedCluster Cluster, string Node) Sample(string name) => name switch
    {
        "english-cluster" => (new EmulatedCluster(new ClusterDescription(
            "cluster-contoso-prod",
            [
                new NodeDescription(
                    "hv-contoso-17",
                    [new GpuDescription("NVIDIA A2", 4), new GpuDescription("NVIDIA A2", 4), new GpuDescription("NVIDIA A2", Dda: true), new GpuDescription("NVIDIA A2", 2, PnpStatus: "Error", PnpErrorCode: 43)],
                    [
                        new VmDescription("payroll-gpu", Guid.Parse("0b7c0f62-1d2e-4f35-9a51-3c7de0a1b201"), VmPowerState.Running, OfflineAction: OfflineAction.ForceShutdown, HasPartition: true, Notes: "secret notes"),
                        new VmDescription("ceo-desktop", Guid.Parse("0b7c0f62-1d2e-4f35-9a51-3c7de0a1b202"), VmPowerState.Off, HasPartition: true),
                        new VmDescription("scratch-box", Guid.Parse("0b7c0f62-1d2e-4f35-9a51-3c7de0a1b203"), VmPowerState.Saved, Clustered: false),
                    ]),
                new NodeDescription("hv-contoso-18", [new GpuDescription("NVIDIA A2", 4)], [new VmDescription("elsewhere", State: VmPowerState.Running, HasPartition: true)]),
            ])), "hv-contoso-17"),
        "german-standalone" => (new EmulatedCluster(new ClusterDescription(
            null,
            [
                new NodeDescription(
                    "wirt01",
                    [new GpuDescription("NVIDIA A2", 8), new GpuDescription("NVIDIA L4", 4)],
                    [
                        new VmDescription("Buchhaltung", State: VmPowerState.Running, HasPartition: true),
                        new VmDescription("Testmaschine", State: VmPowerState.Off),
                    ],
                    OsBuild: "26100",
                    Language: "de-DE"),
            ])), "wirt01"),
        "template-with-values" => (new EmulatedCluster(new ClusterDescription(
            "client-lab",
            [
                new NodeDescription(
                    "lab1",
                    [new GpuDescription("NVIDIA A2", 16), ClientGpu],
                    [new VmDescription("vm-a", State: VmPowerState.Off), new VmDescription("vm-b", State: VmPowerState.Running, HasPartition: true, GpuInstancePath: ClientGpu.InstancePath)],
                    Captured: new NodeCapture(null, null, HyperVClasses.PartitionValueProperties.ToDictionary(n => n, n => n == "MaxPartitionVRAM" ? (ulong?)1_000_000_000 : null), "Microsoft Windows Server 2025 Datacenter", [])),
            ])), "lab1"),
        "sample-file" => (EmulatedCluster.Load(SampleFile), "node1"),
        _ => throw new ArgumentException(name, nameof(name)),
    };
}
