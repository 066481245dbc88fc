using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Tests.Compliance;

public sealed class ComplianceScanTests
{
    [Fact]
    public async Task Drifted_offline_action_is_found_stored_and_remediated_through_an_audited_request()
    {
        using var harness = new ControlPlaneHarness(Backends.InMemory());
        var node = Sample.Node("node1", Sample.Start, withPartition: 1, without: 1);
        var drifted = node with { Vms = [node.Vms[0] with { OfflineAction = OfflineAction.Save }, node.Vms[1]] };
        await harness.SeedAsync(drifted);

        var report = await harness.Get<ComplianceScan>().ScanAsync(Sample.Cluster, default);
        await harness.DispatchWaitingAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var again = await harness.Get<ComplianceScan>().ScanAsync(Sample.Cluster, default);
        await harness.DispatchWaitingAsync();

        var finding = Assert.Single(report!.Findings);
        Assert.Equal(ComplianceRules.OfflineActionNotForcedShutdown, finding.Rule);
        Assert.NotNull(finding.RemediationRequestId);
        Assert.Equal(finding.RemediationRequestId, Assert.Single(again!.Findings).RemediationRequestId);
        var request = (await harness.Requests.GetAsync(finding.RemediationRequestId!, default))!;
        Assert.Equal(PartitionAction.SetOfflineAction, request.Action);
        Assert.Equal(RequestOrigin.ComplianceRemediation, request.Origin);
        var command = Assert.IsType<SetOfflineAction>(Assert.Single(harness.Bus.Published).Command.Body);
        Assert.Equal(OfflineAction.ForceShutdown, command.Action);
        Assert.Equal(again.Id, (await harness.Get<ComplianceReportStore>().GetLatestAsync(Sample.Cluster, default))!.Id);
    }

    [Fact]
    public async Task Remediation_stops_at_the_policy_bound_and_never_changes_partition_counts()
    {
        using var harness = new ControlPlaneHarness(Backends.InMemory());
        var node1 = Sample.Node("node1", Sample.Start, withPartition: 3, without: 0);
        var node2 = Sample.Node("node2", Sample.Start, partitionCount: 8);
        await harness.SeedAsync(
            node1 with { Vms = [.. node1.Vms.Select(v => v with { OfflineAction = OfflineAction.Save })] },
            node2);
        await harness.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], new RemediationPolicy(MaxRequestsPerScan: 2)), Sample.Start, "tester", null, default);

        var report = await harness.Get<ComplianceScan>().ScanAsync(Sample.Cluster, default);

        Assert.Equal(3, report!.Findings.Count(f => f.Rule == ComplianceRules.OfflineActionNotForcedShutdown));
        Assert.Equal(2, report.Findings.Count(f => f.RemediationRequestId is not null));
        Assert.Contains(report.Findings, f => f.Rule == ComplianceRules.ClusterNotHomogeneous && f.RemediationRequestId is null);
        Assert.All(harness.Bus.Published, p => Assert.IsType<SetOfflineAction>(p.Command.Body));
    }

    [Fact]
    public async Task Unknown_cluster_has_no_report()
        => Assert.Null(await new ControlPlaneHarness(Backends.InMemory()).Get<ComplianceScan>().ScanAsync("nope", default));
}
