using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.Provisioning.Tests;

public sealed class ComplianceEvaluatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Compliant_cluster_has_no_findings()
    {
        var nodes = new[] { Node("node1", [Gpu("g1")], [Vm("vm1", "g1")]), Node("node2", [Gpu("g2")], [Vm("vm2", "g2")]) };

        var findings = ComplianceEvaluator.Evaluate(nodes, Policy(), Now);

        Assert.Empty(findings);
    }

    [Fact]
    public void Different_models_make_the_cluster_not_homogeneous()
    {
        var nodes = new[] { Node("node1", [Gpu("g1")], []), Node("node2", [Gpu("g2") with { Model = "NVIDIA L4" }], []) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal(ComplianceRules.ClusterNotHomogeneous, finding.Rule);
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Contains("NVIDIA L4", finding.Message, StringComparison.Ordinal);
        Assert.False(finding.Remediation!.Automatic);
    }

    [Fact]
    public void Different_partition_counts_suggest_a_count_change_that_is_never_automatic()
    {
        var nodes = new[] { Node("node1", [Gpu("g1"), Gpu("g3")], []), Node("node2", [Gpu("g2") with { PartitionCount = 8 }], []) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(fixAll: true), Now));

        Assert.Equal(ComplianceRules.ClusterNotHomogeneous, finding.Rule);
        Assert.Equal(RemediationKind.SetPartitionCount, finding.Remediation!.Kind);
        Assert.False(finding.Remediation.Automatic);
        Assert.Contains("Set partition count 4", finding.Remediation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Partition_count_outside_the_valid_counts_is_found()
    {
        var nodes = new[] { Node("node1", [Gpu("g1") with { PartitionCount = 3 }], []) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal(ComplianceRules.PartitionCountInvalid, finding.Rule);
        Assert.Contains("16, 8, 4, 2", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpu_p_vm_without_forced_shutdown_is_fixed_automatically_when_the_policy_allows()
    {
        var nodes = new[] { Node("node1", [Gpu("g1")], [Vm("vm1", "g1") with { OfflineAction = OfflineAction.Save }]) };

        var allowed = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));
        var forbidden = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy() with { Remediation = new RemediationPolicy(FixOfflineAction: false) }, Now));

        Assert.Equal(ComplianceRules.OfflineActionNotForcedShutdown, allowed.Rule);
        Assert.Equal(RemediationKind.SetOfflineAction, allowed.Remediation!.Kind);
        Assert.Equal("vm1", allowed.Remediation.VmName);
        Assert.True(allowed.Remediation.Automatic);
        Assert.False(forbidden.Remediation!.Automatic);
    }

    [Fact]
    public void Vm_with_two_partitions_is_found()
    {
        var vm = Vm("vm1", "g1") with { PartitionAdapters = [Adapter("g1", 0), Adapter("g1", 1)] };
        var nodes = new[] { Node("node1", [Gpu("g1")], [vm]) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal(ComplianceRules.VmHasMultiplePartitions, finding.Rule);
    }

    [Fact]
    public void Partition_of_another_nodes_gpu_is_found()
    {
        var nodes = new[] { Node("node1", [Gpu("g1")], [Vm("vm1", "g2")]), Node("node2", [Gpu("g2")], []) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal(ComplianceRules.PartitionOnForeignNode, finding.Rule);
        Assert.Contains("node2", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unhealthy_driver_and_sriov_off_are_found()
    {
        var nodes = new[]
        {
            Node("node1", [Gpu("g1") with { PnpStatus = "Error", PnpErrorCode = 28 }], []),
            Node("node2", [Gpu("g2") with { AssignedStatus = GpuAssignedStatus.Paravirtualization }], []),
        };

        var rules = ComplianceEvaluator.Evaluate(nodes, Policy(), Now).Select(f => f.Rule).ToList();

        Assert.Contains(ComplianceRules.GpuDeviceUnhealthy, rules);
        Assert.Contains(ComplianceRules.GpuNotPartitioned, rules);
    }

    [Fact]
    public void Policy_selected_vm_without_partition_and_unselected_partition_are_found()
    {
        var policy = new ProvisioningPolicy([new ProvisioningRule("gpu", NamePattern: "gpu-*")], new RemediationPolicy(AssignMissingPartitions: true));
        var nodes = new[] { Node("node1", [Gpu("g1")], [Vm("gpu-02", null), Vm("web-01", "g1")]) };

        var findings = ComplianceEvaluator.Evaluate(nodes, policy, Now);

        var missing = Assert.Single(findings, f => f.Rule == ComplianceRules.PolicyVmWithoutPartition);
        Assert.Equal("vm/gpu-02", missing.Resource);
        Assert.True(missing.Remediation!.Automatic);
        var unselected = Assert.Single(findings, f => f.Rule == ComplianceRules.PartitionNotSelectedByPolicy);
        Assert.Equal("vm/web-01", unselected.Resource);
        Assert.False(unselected.Remediation!.Automatic);
    }

    [Fact]
    public void Silent_node_is_found_after_the_policy_limit()
    {
        var nodes = new[] { Node("node1", [Gpu("g1")], []) with { TakenAt = Now.AddMinutes(-31) } };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal(ComplianceRules.NodeInventoryStale, finding.Rule);
        Assert.Contains("31 minutes", finding.Message, StringComparison.Ordinal);
        Assert.Empty(ComplianceEvaluator.Evaluate(nodes, Policy(), Now.AddMinutes(-2)));
    }

    [Fact]
    public void Same_model_with_different_memory_is_not_homogeneous_and_unknown_memory_is_no_difference()
    {
        var mixed = new[] { Node("node1", [Gpu("g1")], []), Node("node2", [Gpu("g2") with { MemoryMiB = 8192 }], []) };
        var unknown = new[] { Node("node1", [Gpu("g1")], []), Node("node2", [Gpu("g2") with { MemoryMiB = null }], []) };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(mixed, Policy(), Now));

        Assert.Equal((ComplianceRules.ClusterNotHomogeneous, FindingSeverity.Error), (finding.Rule, finding.Severity));
        Assert.Contains("8192 MiB on node2", finding.Message, StringComparison.Ordinal);
        Assert.Empty(ComplianceEvaluator.Evaluate(unknown, Policy(), Now));
    }

    [Fact]
    public void Different_driver_versions_are_a_warning_naming_each_version_and_its_nodes()
    {
        var nodes = new[]
        {
            Node("node1", [Gpu("g1") with { Driver = new GpuDriver("32.0.15.5324") }], []),
            Node("node2", [Gpu("g2") with { Driver = new GpuDriver("32.0.15.5612") }, Gpu("g3") with { Driver = null }], []),
        };

        var finding = Assert.Single(ComplianceEvaluator.Evaluate(nodes, Policy(), Now));

        Assert.Equal((ComplianceRules.GpuDriverVersionsDiffer, FindingSeverity.Warning), (finding.Rule, finding.Severity));
        Assert.Contains("32.0.15.5324 on node1; 32.0.15.5612 on node2", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_whose_platform_cant_run_gpu_p_is_an_error_with_what_it_read()
    {
        var iovOff = Node("node1", [Gpu("g1")], []) with
        {
            Host = new HostFacts("26100", false, false, IovSupport: false, IovSupportReasons: ["The chipset on the system does not do DMA remapping."], GpuPPrerequisiteProblems: []),
        };
        var standard = Node("node2", [Gpu("g2")], []) with
        {
            Host = new HostFacts("26100", true, true, IovSupport: true, GpuPPrerequisiteProblems: ["Windows Server Standard: clustered GPU-P needs Windows Server 2025 Datacenter."]),
        };

        var findings = ComplianceEvaluator.Evaluate([iovOff, standard], Policy(), Now);

        Assert.All(findings, f => Assert.Equal((ComplianceRules.NodePlatformNotReady, FindingSeverity.Error), (f.Rule, f.Severity)));
        Assert.Contains(findings, f => f.Resource == "node/node1" && f.Message.Contains("DMA remapping", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Resource == "node/node2" && f.Message.Contains("Datacenter", StringComparison.Ordinal));
    }

    private static ProvisioningPolicy Policy(bool fixAll = false)
        => new([], new RemediationPolicy(FixOfflineAction: true, AssignMissingPartitions: fixAll, RemoveUnselectedPartitions: fixAll));

    private static NodeInventory Node(string name, IReadOnlyList<GpuInventory> gpus, IReadOnlyList<VmInventory> vms)
        => new(name, Now.AddMinutes(-1), new HostFacts("10.0.26100", true, true), gpus, vms);

    private static GpuInventory Gpu(string path)
        => new(path, null, "NVIDIA", "NVIDIA A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], 4, null, []);

    private static VmInventory Vm(string name, string? gpuPath)
        => new(name, Guid.NewGuid(), VmPowerState.Running, "node", gpuPath is null ? [] : [Adapter(gpuPath, 0)], IsClustered: true, OfflineAction.ForceShutdown, null);

    private static PartitionAdapter Adapter(string gpuPath, int id) => new($"Microsoft:adapter-{id}", gpuPath, id, "0x1");
}
