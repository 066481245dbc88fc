using GpuAutomation.Functions.Compliance;
using GpuAutomation.Functions.Inventory;

namespace GpuAutomation.Functions.Api;

/// <summary><see cref="IComplianceReports"/> over <see cref="ComplianceScan"/> and <see cref="ComplianceReportStore"/>.</summary>
public sealed class ComplianceReports(ComplianceScan scan, ComplianceReportStore reports, InventoryQueries inventory) : IComplianceReports
{
    /// <summary>Reports shown as history beside the latest.</summary>
    public const int HistorySize = 20;

    public async Task<IResult> GetAsync(string cluster, CancellationToken cancellationToken)
    {
        var page = await reports.ListAsync(cluster, HistorySize, null, cancellationToken);
        if (page.Reports.Count == 0 && await inventory.GetClusterAsync(cluster, cancellationToken) is null)
        {
            return RequestProblems.UnknownCluster(cluster);
        }

        var history = page.Reports.Select(ApiViews.Compliance).ToList();
        return TypedResults.Ok(new ComplianceView(cluster, history.FirstOrDefault(), history, page.ContinuationToken));
    }

    /// <summary>Scans now and answers the report (200): a scan reads stored inventory only, so it is quick.</summary>
    public async Task<IResult> ScanAsync(string cluster, CancellationToken cancellationToken)
        => await scan.ScanAsync(cluster, cancellationToken) is { } report
            ? TypedResults.Ok(ApiViews.Compliance(report))
            : RequestProblems.UnknownCluster(cluster);
}
