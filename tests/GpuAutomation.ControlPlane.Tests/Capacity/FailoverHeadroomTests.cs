using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

public sealed class FailoverHeadroomTests
{
    [Fact]
    public void A_cluster_whose_nodes_can_take_each_others_gpu_vms_survives_any_node_loss()
    {
        var headroom = FailoverHeadroom.Compute(Sample.Cluster, [Sample.Node("node1", Sample.Start, 4, withPartition: 2), Sample.Node("node2", Sample.Start, 4, withPartition: 2)]);

        Assert.True(headroom.SurvivesAnyNodeLoss);
        Assert.All(headroom.Losses, l => Assert.Equal((2, 2, 0), (l.GpuVms.Count, l.FreeElsewhere, l.Short)));
    }

    [Fact]
    public void Losing_a_full_node_strands_the_gpu_vms_the_others_have_no_partition_for()
    {
        var headroom = FailoverHeadroom.Compute(Sample.Cluster, [Sample.Node("node1", Sample.Start, 4, withPartition: 4), Sample.Node("node2", Sample.Start, 4, withPartition: 1)]);

        Assert.False(headroom.SurvivesAnyNodeLoss);
        var node1 = headroom.Losses.Single(l => l.Node == "node1");
        Assert.Equal((4, 3, 1), (node1.GpuVms.Count, node1.FreeElsewhere, node1.Short));
        Assert.Equal(["node1-gpuvm0", "node1-gpuvm1", "node1-gpuvm2", "node1-gpuvm3"], node1.GpuVms);
        var node2 = headroom.Losses.Single(l => l.Node == "node2");
        Assert.Equal((1, 0, 1), (node2.GpuVms.Count, node2.FreeElsewhere, node2.Short));
        Assert.Equal("node1", headroom.Worst!.Node);
    }

    [Fact]
    public void Only_clustered_vms_fail_over_and_only_healthy_gpus_of_their_model_take_them()
    {
        var node1 = Sample.Node("node1", Sample.Start, 4, withPartition: 2);
        node1 = node1 with { Vms = [.. node1.Vms.Select(vm => vm.Name == "node1-gpuvm1" ? vm with { IsClustered = false } : vm)] };
        var node2 = Sample.Node("node2", Sample.Start, 4, withPartition: 0);
        node2 = node2 with { Gpus = [node2.Gpus[0] with { PnpStatus = "Error", PnpErrorCode = 43 }] };
        var node3 = Sample.Node("node3", Sample.Start, 4, withPartition: 0);
        node3 = node3 with { Gpus = [node3.Gpus[0] with { Model = "A16" }] };

        var loss = FailoverHeadroom.Compute(Sample.Cluster, [node1, node2, node3]).Losses.Single(l => l.Node == "node1");

        Assert.Equal(["node1-gpuvm0"], loss.GpuVms);
        Assert.Equal((0, 1), (loss.FreeElsewhere, loss.Short));
    }

    [Fact]
    public void Compliance_warns_for_each_node_whose_loss_strands_gpu_vms_naming_them()
    {
        var findings = ComplianceEvaluator.Evaluate(
            [Sample.Node("node1", Sample.Start, 4, withPartition: 4), Sample.Node("node2", Sample.Start, 4, withPartition: 1)],
            ProvisioningPolicy.Default,
            Sample.Start);

        var shortfalls = findings.Where(f => f.Rule == ComplianceRules.FailoverCapacityShort).OrderBy(f => f.Resource, StringComparer.Ordinal).ToList();
        Assert.Equal(["node/node1", "node/node2"], shortfalls.Select(f => f.Resource));
        Assert.All(shortfalls, f => Assert.Equal(FindingSeverity.Warning, f.Severity));
        Assert.Contains("node1-gpuvm3", shortfalls[0].Message, StringComparison.Ordinal);
        Assert.Contains("1 of its 4 clustered GPU VMs", shortfalls[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_node_has_no_failover_to_report()
        => Assert.DoesNotContain(
            ComplianceEvaluator.Evaluate([Sample.Node("node1", Sample.Start, 4, withPartition: 4)], ProvisioningPolicy.Default, Sample.Start),
            f => f.Rule == ComplianceRules.FailoverCapacityShort);
}
