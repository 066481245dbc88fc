using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Platform;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.HostRunner.Tools;

namespace GpuAutomation.HostRunner.Tests.Tools;

public sealed class NodeCheckTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "hostrunner-check-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, true);
        }
    }

    [Fact]
    public async Task A_healthy_emulated_node_has_no_failed_row_and_a_row_per_gpu()
    {
        var cluster = Emulator.Cluster();

        var rows = await Check(cluster);

        Assert.Equal(0, NodeCheck.ExitCode(rows));
        Assert.DoesNotContain(rows, r => r.Verdict == CheckVerdict.Fail);
        Assert.Equal(2, rows.Count(r => r.Assumption.Contains("valid counts", StringComparison.Ordinal)));
        Assert.Contains(rows, r => r.Assumption.StartsWith("Default GPU partition template", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Pass && r.Read.Contains("12 of 12 values NULL", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Assumption.StartsWith("Journal folder", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Pass);
    }

    public static TheoryData<string, string> Faults => new()
    {
        { HyperVClasses.PartitionableGpu, "Partitionable GPUs" },
        { HyperVClasses.ManagementService, "Hyper-V WMI provider" },
        { HyperVClasses.VirtualSystemSettingData, "VM listing" },
        { "Win32_OperatingSystem", "Operating system" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task An_emulated_provider_fault_turns_its_row_red_and_the_exit_code_to_1(string className, string assumption)
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: className));

        var rows = await Check(cluster);

        Assert.Contains(rows, r => r.Assumption.StartsWith(assumption, StringComparison.Ordinal) && r.Verdict == CheckVerdict.Fail);
        Assert.Equal(1, NodeCheck.ExitCode(rows));
    }

    public static TheoryData<string, string, EmulatedFaultKind> ClassFaults => new()
    {
        { HyperVClasses.GpuPartitionSettingData, "root\\virtualization\\v2 declares", EmulatedFaultKind.Fail },
        { HyperVClasses.ManagementService, "root\\virtualization\\v2 declares", EmulatedFaultKind.MissingMethods },
        { HyperVClasses.ShutdownComponent, "root\\virtualization\\v2 declares", EmulatedFaultKind.MissingMethods },
        { "MSCluster_Resource", "root\\MSCluster declares", EmulatedFaultKind.Fail },
        { "Win32_PnPEntity", "root\\cimv2 declares", EmulatedFaultKind.Fail },
        { "MSCluster_ResourceGroup", "root\\MSCluster declares", EmulatedFaultKind.MissingMethods },
        { "MSCluster_Node", "root\\MSCluster declares", EmulatedFaultKind.Fail },
    };

    [Theory]
    [MemberData(nameof(ClassFaults))]
    public async Task A_missing_class_or_method_turns_its_namespace_row_red(string className, string assumption, EmulatedFaultKind kind)
    {
        var cluster = Emulator.Cluster();
        var clean = await Check(cluster);
        Assert.Contains(clean, r => r.Assumption.StartsWith(assumption, StringComparison.Ordinal) && r.Verdict == CheckVerdict.Pass && r.Read == "all present");
        cluster.Faults.Add(new EmulatedFault("GetClass", kind, ClassName: className, Code: "cim-invalid-class"));

        var rows = await Check(cluster);

        var row = Assert.Single(rows, r => r.Assumption.StartsWith(assumption, StringComparison.Ordinal));
        Assert.Equal(CheckVerdict.Fail, row.Verdict);
        Assert.Contains(className, row.Read, StringComparison.Ordinal);
        Assert.Equal(1, NodeCheck.ExitCode(rows));
    }

    [Theory]
    [InlineData("26100", "32.0.15.7260", CheckVerdict.Pass, null)]
    [InlineData("26100", "32.0.15.5324", CheckVerdict.Warn, "vGPU 18")]
    [InlineData("25398", "32.0.15.7260", CheckVerdict.Warn, "build 25398")]
    public async Task The_live_migration_row_says_whether_gpu_p_vms_can_live_migrate_off_the_node(string build, string driver, CheckVerdict verdict, string? problem)
    {
        var cluster = new EmulatedCluster(new ClusterDescription("cluster1", [new NodeDescription("node1", [new GpuDescription("NVIDIA A2", 4, DriverVersion: driver)], [], OsBuild: build)]));

        var rows = await Check(cluster);

        var row = Assert.Single(rows, r => r.Assumption == NodeCheck.LiveMigrationAssumption);
        Assert.Equal(verdict, row.Verdict);
        Assert.Contains("DMA bit tracking", row.Read, StringComparison.Ordinal);
        if (problem is not null)
        {
            Assert.Contains(problem, row.Read, StringComparison.Ordinal);
            Assert.Contains("StopMoveStart", row.Action, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_standalone_host_without_the_cluster_namespace_warns_instead_of_failing()
    {
        var rows = await Check(Emulator.Cluster(name: null));

        Assert.Contains(rows, r => r.Assumption.StartsWith("root\\MSCluster declares", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Warn);
        Assert.Contains(rows, r => r.Assumption.StartsWith("root\\virtualization\\v2 declares", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Pass);
    }

    [Fact]
    public async Task A_broken_driver_fails_its_gpu_row()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPnpStatus("node1", Emulator.GpuPath(cluster, "node1", 1), "Error", 43);

        var rows = await Check(cluster);

        Assert.Single(rows, r => r.Assumption.Contains("driver working", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Fail);
    }

    [Fact]
    public async Task A_template_found_only_by_the_like_query_and_a_gpu_vm_without_forced_shutdown_warn()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: HyperVClasses.ResourcePool));
        cluster.SetOfflineAction(Emulator.Vm1, OfflineAction.Save);

        var rows = await Check(cluster);

        Assert.Contains(rows, r => r.Assumption.StartsWith("Default GPU partition template", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Warn);
        Assert.Contains(rows, r => r.Read.StartsWith("vm1: OfflineAction Save", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Warn);
    }

    [Fact]
    public async Task An_unwritable_journal_folder_fails()
    {
        File.WriteAllText(_journal, "a file where the folder should be");
        try
        {
            var rows = await new NodeCheck(Emulator.Host(Emulator.Cluster()), _journal).RunAsync(None);
            Assert.Contains(rows, r => r.Assumption.StartsWith("Journal folder", StringComparison.Ordinal) && r.Verdict == CheckVerdict.Fail);
        }
        finally
        {
            File.Delete(_journal);
        }
    }

    [Fact]
    public async Task The_command_prints_the_table_over_a_simulated_node_and_exits_2_when_it_cannot_run()
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json");
        using var output = new StringWriter();
        using var errors = new StringWriter();

        var code = await ToolCommand.RunAsync(["check", "--simulate", sample, "--node", "node1", "--journal", _journal], output, errors, None);
        var missingNode = await ToolCommand.RunAsync(["check", "--simulate", sample], TextWriter.Null, errors, None);

        Assert.Equal(0, code);
        Assert.StartsWith("verdict | assumption | read | what to do", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("PASS | Partitionable GPUs", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("PASS | Platform SR-IOV and IOMMU", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("32.0.15.5324 (NVIDIA); nvidia-smi 553.24, Host VGPU (SR-IOV)", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("ASPEED Graphics Family", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, missingNode);
    }

    [Fact]
    public async Task Iov_support_false_fails_the_sr_iov_row_with_the_reasons_read()
    {
        var rows = await Check(Solo(new NodeDescription("node1", [new GpuDescription("NVIDIA A2", 4)], [], IovSupport: false, IovSupportReasons: ["The chipset on the system does not do DMA remapping."])));

        var row = Assert.Single(rows, r => r.Assumption == PlatformCheck.IovAssumption);
        Assert.Equal(CheckVerdict.Fail, row.Verdict);
        Assert.Contains("DMA remapping", row.Read, StringComparison.Ordinal);
        Assert.Equal(1, NodeCheck.ExitCode(rows));
    }

    [Fact]
    public async Task Iov_support_not_reported_warns()
    {
        var rows = await Check(Solo(new NodeDescription("node1", [new GpuDescription("NVIDIA A2", 4)], [], IovSupport: null)));

        Assert.Equal(CheckVerdict.Warn, Assert.Single(rows, r => r.Assumption == PlatformCheck.IovAssumption).Verdict);
    }

    [Fact]
    public async Task A_query_fault_on_the_iov_class_fails_its_row()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: IovSupportReader.CapabilitiesClass));

        var rows = await Check(cluster);

        Assert.Equal(CheckVerdict.Fail, Assert.Single(rows, r => r.Assumption == PlatformCheck.IovAssumption).Verdict);
    }

    [Fact]
    public async Task A_gpu_without_a_driver_fails_and_differing_driver_versions_warn()
    {
        var cluster = Solo(new NodeDescription(
            "node1",
            [
                new GpuDescription("NVIDIA A2", 4, DriverVersion: "32.0.15.5324"),
                new GpuDescription("NVIDIA A2", 4, DriverVersion: "32.0.15.5612"),
                new GpuDescription("NVIDIA A2", 4, PnpStatus: "Error", PnpErrorCode: 28),
            ],
            []));

        var rows = await Check(cluster);

        var drivers = rows.Where(r => r.Assumption.EndsWith(PlatformCheck.DriverAssumption, StringComparison.Ordinal)).ToList();
        Assert.Equal(3, drivers.Count);
        Assert.Single(drivers, r => r.Verdict == CheckVerdict.Fail && r.Read.StartsWith("no driver version", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Assumption == "GPU drivers: one version on the node" && r.Verdict == CheckVerdict.Warn && r.Read == "32.0.15.5324, 32.0.15.5612");
    }

    [Fact]
    public async Task Nvidia_smi_without_the_vgpu_host_driver_warns_and_a_failing_tool_warns()
    {
        var cluster = Solo(new NodeDescription("node1", [new GpuDescription("NVIDIA A2", SriovEnabled: false)], [], NvidiaSmi: true));

        var rows = await Check(cluster);
        cluster.Faults.Add(new EmulatedFault("NvidiaSmi", EmulatedFaultKind.Fail));
        var failed = await Check(cluster);

        var driver = Assert.Single(rows, r => r.Assumption.EndsWith(PlatformCheck.DriverAssumption, StringComparison.Ordinal));
        Assert.Equal(CheckVerdict.Warn, driver.Verdict);
        Assert.Contains("nvidia-smi 553.24, None", driver.Read, StringComparison.Ordinal);
        Assert.Contains(failed, r => r.Assumption == "nvidia-smi -q -x readable" && r.Verdict == CheckVerdict.Warn);
    }

    [Theory]
    [InlineData("26100", "Microsoft Windows Server 2025 Standard", 7, "c1", CheckVerdict.Fail)]
    [InlineData("26100", "Microsoft Windows Server 2025 Standard", 7, null, CheckVerdict.Pass)]
    [InlineData("20348", "Microsoft Windows Server 2022 Datacenter", 8, "c1", CheckVerdict.Fail)]
    [InlineData("25398", "Microsoft Azure Stack HCI", 406, "c1", CheckVerdict.Warn)]
    [InlineData("26100", "Microsoft Windows Server 2025 Datacenter", 8, "c1", CheckVerdict.Pass)]
    public async Task The_os_row_judges_build_and_edition_against_the_gpu_p_prerequisites(string build, string caption, int sku, string? cluster, CheckVerdict verdict)
    {
        var rows = await Check(Solo(new NodeDescription("node1", [new GpuDescription("NVIDIA A2", 4)], [], OsBuild: build, OsCaption: caption, OsSku: sku), cluster));

        var row = Assert.Single(rows, r => r.Assumption == PlatformCheck.OsAssumption);
        Assert.Equal(verdict, row.Verdict);
        Assert.Contains(caption, row.Read, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bmc_vga_is_shown_as_no_gpu()
    {
        var rows = await Check(Solo(new NodeDescription("node1", [new GpuDescription("NVIDIA A2", 4)], [], BmcVga: "ASPEED Graphics Family")));

        Assert.Contains(rows, r => r.Read.StartsWith("ASPEED Graphics Family", StringComparison.Ordinal) && r.Read.EndsWith("Not assignable", StringComparison.Ordinal));
    }

    private static EmulatedCluster Solo(NodeDescription node, string? cluster = null) => new(new ClusterDescription(cluster, [node]));

    private Task<IReadOnlyList<CheckRow>> Check(EmulatedCluster cluster)
        => new NodeCheck(Emulator.Host(cluster), _journal).RunAsync(None);
}
