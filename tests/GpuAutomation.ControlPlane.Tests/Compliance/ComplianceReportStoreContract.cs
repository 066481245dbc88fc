using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Compliance;

public abstract class ComplianceReportStoreContract
{
    private protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task Reports_list_newest_first_a_page_at_a_time_with_their_findings()
    {
        var store = new ComplianceReportStore(CreateTables());
        for (var i = 0; i < 5; i++)
        {
            IReadOnlyList<ComplianceFinding> findings = i % 2 == 0
                ? [new ComplianceFinding(
                    ComplianceRules.OfflineActionNotForcedShutdown,
                    FindingSeverity.Warning,
                    $"vm/web{i}",
                    $"VM web{i} on node2 has OfflineAction Save, not ForceShutdown (3).",
                    new Remediation(RemediationKind.SetOfflineAction, "Set OfflineAction ForceShutdown (3).", Automatic: true, "node2", $"web{i}"),
                    $"req{i}")]
                : [];
            await store.SaveAsync(new ComplianceReport($"rep{i}", "clus1", Sample.Start.AddHours(i), findings), default);
        }

        await store.SaveAsync(new ComplianceReport("other", "clus2", Sample.Start.AddDays(1), []), default);

        var first = await store.ListAsync("clus1", 2, null, default);
        var rest = await store.ListAsync("clus1", 10, first.ContinuationToken, default);
        Assert.Equal(["rep4", "rep3", "rep2", "rep1", "rep0"], first.Reports.Concat(rest.Reports).Select(r => r.Id));
        var latest = (await store.GetLatestAsync("clus1", default))!;
        Assert.Equal("rep4", latest.Id);
        Assert.False(latest.IsCompliant);
        var finding = Assert.Single(latest.Findings);
        Assert.Equal("web4", finding.Remediation!.VmName);
        Assert.Equal("req4", finding.RemediationRequestId);
    }
}

public sealed class InMemoryComplianceReportStoreTests : ComplianceReportStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.InMemory();
}

public sealed class TableStorageComplianceReportStoreTests : ComplianceReportStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.Azurite();
}
