using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.HostRunner.Reporting;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class HostInventoryReaderTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Every_inventory_carries_this_starts_id_and_a_sequence_that_increases_and_a_new_start_has_a_new_id()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);

        var first = await host.Inventory.ReadAsync(None);
        var second = await host.Inventory.ReadAsync(None);
        var restarted = await Emulator.Host(cluster).Inventory.ReadAsync(None);

        Assert.NotNull(first.AgentStart);
        Assert.Equal(first.AgentStart, second.AgentStart);
        Assert.True(second.Sequence > first.Sequence);
        Assert.NotEqual(first.AgentStart, restarted.AgentStart);
    }

    [Fact]
    public async Task Gpu_memory_is_filled_from_total_vram_in_bytes()
    {
        // Server GPU-P drivers report TotalVRAM in bytes (audit row 8); the emulated A2 has 16 GiB.
        var inventory = await Emulator.Host(Emulator.Cluster()).Inventory.ReadAsync(CancellationToken.None);

        Assert.All(inventory.Gpus.Where(g => g.ValidPartitionCounts.Count > 0), g => Assert.Equal(16384L, g.MemoryMiB));
    }

    [Fact]
    public async Task Builds_a_valid_node_inventory_of_gpus_partitions_and_vms()
    {
        var cluster = Emulator.Cluster();

        var inventory = await Emulator.Host(cluster).Inventory.ReadAsync(None);

        var check = new FieldCheck();
        inventory.Validate(check);
        Assert.Null(check.Problem);
        Assert.Equal("node1", inventory.Node);
        Assert.Equal(3, inventory.Gpus.Count);
        var held = inventory.Gpus.Single(g => g.InstancePath == Emulator.GpuPath(cluster, "node1", 0));
        Assert.Equal(GpuAssignedStatus.Partitioned, held.AssignedStatus);
        Assert.Equal("NVIDIA A2", held.Model);
        Assert.Equal("NVIDIA", held.Vendor);
        Assert.Equal("OK", held.PnpStatus);
        Assert.Equal(3, held.FreePartitions);
        var partition = Assert.Single(held.Partitions);
        Assert.Equal(new GpuPartitionAssignment(0, "vm1", Emulator.Vm1, partition.PartitionVfLuid), partition);
        var dda = inventory.Gpus.Single(g => g.AssignedStatus == GpuAssignedStatus.ReadyForDda);
        Assert.Equal(0, dda.FreePartitions);

        var vm1 = inventory.Vms.Single(v => v.Id == Emulator.Vm1);
        Assert.True(vm1.HasPartition);
        Assert.True(vm1.IsClustered);
        Assert.Equal(OfflineAction.ForceShutdown, vm1.OfflineAction);
        Assert.Equal(VmPowerState.Running, vm1.PowerState);
        Assert.Equal("node1", vm1.HostNode);
        var vm3 = inventory.Vms.Single(v => v.Id == Emulator.Vm3);
        Assert.False(vm3.IsClustered);
        Assert.Null(vm3.OfflineAction);
        Assert.Equal("26100", inventory.Host.OsBuild);
        Assert.True(inventory.Host.SriovSupported);
    }

    [Fact]
    public async Task Each_vm_shows_its_own_adapters_as_the_vm_itself_lists_them()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        await host.Adapters.AddAsync(Emulator.Vm2, null, null, None);

        var inventory = await host.Inventory.ReadAsync(None);

        foreach (var vm in new[] { Emulator.Vm1, Emulator.Vm2, Emulator.Vm3 })
        {
            var own = await host.Adapters.ListAsync(vm, None);
            Assert.Equal(own.Select(a => a.ToContract()), inventory.Vms.Single(v => v.Id == vm).PartitionAdapters);
        }

        Assert.Equal(2, inventory.Vms.Count(v => v.HasPartition));
        Assert.Equal(2, inventory.Gpus.Sum(g => g.Partitions.Count));
    }

    [Fact]
    public async Task Reflects_drift_injected_into_the_emulator()
    {
        var cluster = Emulator.Cluster();
        cluster.RemovePartition(Emulator.Vm1);
        cluster.SetOfflineAction(Emulator.Vm1, OfflineAction.Save);
        cluster.SetPnpStatus("node1", Emulator.GpuPath(cluster, "node1", 1), "Error", 43);

        var inventory = await Emulator.Host(cluster).Inventory.ReadAsync(None);

        var vm1 = inventory.Vms.Single(v => v.Id == Emulator.Vm1);
        Assert.False(vm1.HasPartition);
        Assert.Equal(OfflineAction.Save, vm1.OfflineAction);
        Assert.All(inventory.Gpus, g => Assert.Empty(g.Partitions));
        Assert.Equal(GpuAssignedStatus.NotAssignable, inventory.Gpus.Single(g => g.InstancePath == Emulator.GpuPath(cluster, "node1", 1)).AssignedStatus);
    }

    [Fact]
    public async Task A_gpu_with_sr_iov_off_is_paravirtualization_with_no_free_partitions()
    {
        var cluster = new EmulatedCluster(new ClusterDescription(null, [
            new NodeDescription("solo", [new GpuDescription("NVIDIA L4", SriovEnabled: false), new GpuDescription("NVIDIA A16", 8)], []),
        ]));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        var l4 = inventory.Gpus.Single(g => g.Model == "NVIDIA L4");
        Assert.Equal(GpuAssignedStatus.Paravirtualization, l4.AssignedStatus);
        Assert.Empty(l4.ValidPartitionCounts);
        Assert.Equal(0, l4.FreePartitions);
        var a16 = inventory.Gpus.Single(g => g.Model == "NVIDIA A16");
        Assert.Equal(GpuAssignedStatus.Partitioned, a16.AssignedStatus);
        Assert.Equal(8, a16.FreePartitions);
    }

    [Fact]
    public async Task A_standalone_host_reports_no_vm_as_clustered()
    {
        var inventory = await Emulator.Host(Emulator.Cluster(name: null)).Inventory.ReadAsync(None);
        Assert.All(inventory.Vms, v => Assert.False(v.IsClustered));
    }

    [Fact]
    public async Task The_sample_two_node_description_loads_into_a_clustered_pair_of_a2_hosts()
    {
        var cluster = EmulatedCluster.Load(Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json"));

        Assert.Equal("hci-cluster1", cluster.Name);
        Assert.Equal(["node1", "node2"], cluster.Nodes);
        foreach (var node in cluster.Nodes)
        {
            var inventory = await cluster.HostFor(node, Emulator.Fast).Inventory.ReadAsync(None);
            var check = new FieldCheck();
            inventory.Validate(check);
            Assert.Null(check.Problem);
            var gpus = inventory.Gpus.Where(g => g.Vendor == "NVIDIA").ToList();
            Assert.Equal(2, gpus.Count);
            Assert.All(gpus, g => Assert.Equal(("NVIDIA A2", 4, GpuAssignedStatus.Partitioned), (g.Model, g.PartitionCount, g.AssignedStatus)));
            Assert.All(gpus, g => Assert.Equal(new GpuDriver("32.0.15.5324", "NVIDIA", "553.24", "Host VGPU", "SR-IOV"), g.Driver));
            Assert.All(inventory.Gpus.Except(gpus), g => Assert.Equal(GpuAssignedStatus.NotAssignable, g.AssignedStatus));
            Assert.Equal((true, 406), (inventory.Host.IovSupport, inventory.Host.OsSku));
            Assert.Empty(inventory.Host.GpuPPrerequisiteProblems!);
            Assert.Contains(inventory.Vms, v => v.HasPartition && v.OfflineAction == OfflineAction.ForceShutdown);
        }
    }

    [Theory]
    [InlineData("""{ "name": "c", "nodes": [ { "name": "n1", "gpus": [ { "model": "NVIDIA A2", "partitionCount": 5 } ], "vms": [] } ] }""", "partition count 5")]
    [InlineData("""{ "name": "c", "nodes": [ { "name": "n1", "gpus": [ { "model": "NVIDIA H100" } ], "vms": [] } ] }""", "Unknown GPU model")]
    [InlineData("""{ "name": "c", "nodes": [ { "name": "n1", "gpus": [], "vms": [ { "name": "v", "hasPartition": true } ] } ] }""", "no free GPU partition")]
    [InlineData("""{ "name": "c", "nodes": [ { "name": "n1", "gpus": [], "vms": [] }, { "name": "N1", "gpus": [], "vms": [] } ] }""", "described twice")]
    public void A_description_the_emulator_cannot_honour_is_refused_with_the_reason(string json, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => EmulatedCluster.Parse(json));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_field_in_a_description_is_refused()
        => Assert.ThrowsAny<System.Text.Json.JsonException>(() => EmulatedCluster.Parse("""{ "name": "c", "nodes": [], "colour": "red" }"""));

    private static EmulatedCluster Solo(NodeDescription node, string? cluster = null) => new(new ClusterDescription(cluster, [node]));

    [Fact]
    public async Task Sr_iov_readiness_is_read_from_iov_support_not_inferred_from_valid_counts()
    {
        // The GPU lists valid counts, which the agent used to take for SR-IOV readiness; IOVSupport says otherwise.
        string[] reasons = ["To use SR-IOV on this system, the system BIOS must be updated to allow Windows to control PCI Express."];
        var cluster = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], IovSupport: false, IovSupportReasons: reasons));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.NotEmpty(inventory.Gpus[0].ValidPartitionCounts);
        Assert.False(inventory.Host.SriovSupported);
        Assert.False(inventory.Host.IommuSupported);
        Assert.False(inventory.Host.IovSupport);
        Assert.Equal(reasons, inventory.Host.IovSupportReasons);
    }

    [Fact]
    public async Task Without_the_iov_class_readiness_falls_back_to_the_gpus_valid_counts()
    {
        var cluster = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], IovSupport: null));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.Null(inventory.Host.IovSupport);
        Assert.True(inventory.Host.SriovSupported);
    }

    [Fact]
    public async Task Gpu_driver_version_is_read_from_the_signed_driver_and_nvidia_smi()
    {
        var cluster = Solo(new NodeDescription(
            "solo",
            [new GpuDescription("NVIDIA A2", 4, DriverVersion: "32.0.15.5612"), new GpuDescription("NVIDIA A2", SriovEnabled: false, DriverVersion: "32.0.15.5612")],
            [],
            NvidiaSmi: true,
            NvidiaDriverVersion: "556.12"));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        var partitioned = inventory.Gpus.Single(g => g.AssignedStatus == GpuAssignedStatus.Partitioned);
        Assert.Equal(new GpuDriver("32.0.15.5612", "NVIDIA", "556.12", "Host VGPU", "SR-IOV"), partitioned.Driver);
        var sriovOff = inventory.Gpus.Single(g => g.AssignedStatus == GpuAssignedStatus.Paravirtualization);
        Assert.Equal(new GpuDriver("32.0.15.5612", "NVIDIA", "556.12", "None", null), sriovOff.Driver);
    }

    [Fact]
    public async Task Without_nvidia_smi_the_driver_is_the_signed_drivers_alone_and_a_failing_tool_does_not_fail_the_inventory()
    {
        var cluster = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], NvidiaSmi: true));
        cluster.Faults.Add(new EmulatedFault("NvidiaSmi", EmulatedFaultKind.Fail));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.Equal(new GpuDriver("32.0.15.5324", "NVIDIA"), inventory.Gpus[0].Driver);
        Assert.Null((await Emulator.Host(Emulator.Cluster()).Inventory.ReadAsync(None)).Gpus[0].Driver!.VendorVersion);
    }

    [Fact]
    public async Task Utilization_comes_from_nvidia_smi_and_is_absent_not_zero_without_it()
    {
        var withTool = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], NvidiaSmi: true));
        var withoutTool = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], []));
        var failing = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], NvidiaSmi: true));
        failing.Faults.Add(new EmulatedFault("NvidiaSmi", EmulatedFaultKind.Fail));

        // The emulated board is idle: the tool's "0 %" is a reading, reported as 0.
        Assert.Equal(new GpuUtilization(0, 0, 0), (await withTool.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None)).Gpus[0].Utilization);
        Assert.Null((await withoutTool.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None)).Gpus[0].Utilization);
        Assert.Null((await failing.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None)).Gpus[0].Utilization);
    }

    [Fact]
    public async Task A_gpu_without_an_installed_driver_reports_no_driver_version()
    {
        var cluster = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4, PnpStatus: "Error", PnpErrorCode: 28)], []));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.Null(inventory.Gpus[0].Driver!.Version);
    }

    [Fact]
    public async Task A_bmc_vga_is_listed_as_not_assignable_never_ready_for_dda()
    {
        var cluster = Solo(new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], BmcVga: "ASPEED Graphics Family"));

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        var bmc = inventory.Gpus.Single(g => g.Model == "ASPEED Graphics Family");
        Assert.Equal(GpuAssignedStatus.NotAssignable, bmc.AssignedStatus);
        Assert.DoesNotContain(inventory.Gpus, g => g.AssignedStatus == GpuAssignedStatus.ReadyForDda);
    }

    [Fact]
    public async Task Os_build_edition_and_gpu_p_prerequisites_are_reported()
    {
        var cluster = Solo(
            new NodeDescription("solo", [new GpuDescription("NVIDIA A2", 4)], [], OsBuild: "26100", OsCaption: "Microsoft Windows Server 2025 Standard", OsSku: 7),
            cluster: "c1");

        var inventory = await cluster.HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.Equal(("26100", "Microsoft Windows Server 2025 Standard", 7), (inventory.Host.OsBuild, inventory.Host.OsCaption, inventory.Host.OsSku));
        Assert.Contains(inventory.Host.GpuPPrerequisiteProblems!, p => p.Contains("Datacenter", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_reads_of_an_unchanged_node_are_no_change_and_another_driver_version_is_one()
    {
        NodeDescription Node(string driver) => new(
            "solo", [new GpuDescription("NVIDIA A2", 4, DriverVersion: driver)], [], IovSupport: false, IovSupportReasons: ["reason"], OsSku: 7);
        var host = Solo(Node("32.0.15.5324"), cluster: "c1").HostFor("solo", Emulator.Fast);

        var first = await host.Inventory.ReadAsync(None);
        var again = await host.Inventory.ReadAsync(None);
        var updated = await Solo(Node("32.0.15.5612"), cluster: "c1").HostFor("solo", Emulator.Fast).Inventory.ReadAsync(None);

        Assert.NotEmpty(first.Host.GpuPPrerequisiteProblems!);
        Assert.False(ClusterEventDetector.Differs(first, again));
        Assert.True(ClusterEventDetector.Differs(first, updated));
    }
}
