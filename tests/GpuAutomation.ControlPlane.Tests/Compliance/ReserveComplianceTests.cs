using FsCheck.Xunit;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Compliance;

/// <summary>Compliance and the cluster policy's reserve (issue 18, item 2): a cluster below it is reported, naming the VMs at risk.</summary>
public sealed class ReserveComplianceTests
{
    /// <summary>node1: 4 partitions, all held by GPU VMs; node2: 4 partitions, 1 held (3 free). Losing node1 strands one of its VMs.</summary>
    private static IReadOnlyList<NodeInventory> FullNode1 { get; } =
        [Sample.Node("node1", Sample.Start, 4, withPartition: 4), Sample.Node("node2", Sample.Start, 4, withPartition: 1)];

    [Fact]
    public void An_n_plus_one_cluster_that_could_not_restart_a_node_s_gpu_vms_is_an_error_naming_them()
    {
        var findings = ComplianceEvaluator.Evaluate(FullNode1, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start);

        var breach = Assert.Single(findings, f => f.Rule == ComplianceRules.ReserveBreached);
        Assert.Equal((FindingSeverity.Error, "cluster"), (breach.Severity, breach.Resource));
        Assert.Contains("losing node node1 would need 4 free partition(s) on the other nodes for its 4 GPU VM(s), and 3 are free there", breach.Message, StringComparison.Ordinal);
        Assert.Contains("node1-gpuvm0, node1-gpuvm1, node1-gpuvm2, node1-gpuvm3", breach.Message, StringComparison.Ordinal);
        Assert.False(breach.Remediation!.Automatic);
    }

    [Fact]
    public void Under_on_reserve_breach_warn_the_breach_is_a_warning()
    {
        var findings = ComplianceEvaluator.Evaluate(FullNode1, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne, OnReserveBreach: ReserveBreachAction.Warn), Sample.Start);

        Assert.Equal(FindingSeverity.Warning, Assert.Single(findings, f => f.Rule == ComplianceRules.ReserveBreached).Severity);
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(3, false)]
    public void A_fixed_reserve_is_breached_when_fewer_partitions_are_free_across_the_cluster(int reserve, bool breached)
    {
        var findings = ComplianceEvaluator.Evaluate(FullNode1, new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: reserve), Sample.Start);

        var breach = findings.SingleOrDefault(f => f.Rule == ComplianceRules.ReserveBreached);
        Assert.Equal(breached, breach is not null);
        if (breach is not null)
        {
            Assert.Contains("3 partition(s) free across the cluster, below the 4 its policy reserves", breach.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Without_a_reserve_only_the_node_loss_warning_is_reported()
    {
        var findings = ComplianceEvaluator.Evaluate(FullNode1, ProvisioningPolicy.Default, Sample.Start);

        Assert.DoesNotContain(findings, f => f.Rule == ComplianceRules.ReserveBreached);
        Assert.Contains(findings, f => f.Rule == ComplianceRules.FailoverCapacityShort && f.Resource == "node/node1");
    }

    [Fact]
    public async Task A_scan_reports_the_breach_under_the_stored_policy_and_keeps_it_in_the_report()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync([.. FullNode1]);
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start, "tester", null, default);

        var report = await plane.Get<ComplianceScan>().ScanAsync(Sample.Cluster, default);

        var stored = await plane.Get<ComplianceReportStore>().GetLatestAsync(Sample.Cluster, default);
        Assert.Contains(report!.Findings, f => f.Rule == ComplianceRules.ReserveBreached && f.Severity == FindingSeverity.Error);
        Assert.Contains(stored!.Findings, f => f.Rule == ComplianceRules.ReserveBreached && f.Message.Contains("node1-gpuvm3", StringComparison.Ordinal));
        Assert.False(stored.IsCompliant);
    }

    /// <summary>
    /// On a homogeneous cluster, some of its GPUs in error, the two headroom computations agree: compliance reports an n+1 breach
    /// (admission's <see cref="ClusterReserve"/>) exactly when the read-only <see cref="FailoverHeadroom"/> says some
    /// node's loss strands GPU VMs, and then that node is one of those it reports.
    /// </summary>
    [Property(MaxTest = 200)]
    public void N_plus_one_breach_agrees_with_failover_headroom(byte[] layout)
    {
        var nodes = (layout ?? []).Take(6).Select((b, i) =>
        {
            var partitions = 1 << (b % 4);
            var node = Sample.Node($"node{i + 1}", Sample.Start, partitions, withPartition: (b / 4) % (partitions + 1), without: 0);
            // Some GPUs in error (code 43): their free partitions are no headroom for either computation.
            return b % 7 == 3 ? node with { Gpus = [.. node.Gpus.Select(g => g with { PnpStatus = "Error", PnpErrorCode = 43 })] } : node;
        }).ToList();

        var findings = ComplianceEvaluator.Evaluate(nodes, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start);

        var breach = findings.SingleOrDefault(f => f.Rule == ComplianceRules.ReserveBreached);
        var headroom = FailoverHeadroom.Compute(Sample.Cluster, nodes);
        Assert.Equal(!headroom.SurvivesAnyNodeLoss, breach is not null);
        if (breach is not null)
        {
            Assert.Contains(headroom.Losses.Where(l => l.StrandsVms), l => breach.Message.Contains($"losing node {l.Node} ", StringComparison.Ordinal));
        }
    }
}
