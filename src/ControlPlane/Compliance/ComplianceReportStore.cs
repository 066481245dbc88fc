using System.Globalization;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>
/// Compliance reports per cluster (partition key = cluster); the row key counts down with time so the newest report
/// comes first in a partition query.
/// </summary>
public sealed class ComplianceReportStore
{
    public const string TableName = "compliance";

    private readonly IRecordTable _table;

    public ComplianceReportStore(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    public async Task SaveAsync(ComplianceReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = report.Cluster,
            ["CheckedAt"] = report.CheckedAt,
            ["Findings"] = report.Findings.Count,
            ["Compliant"] = report.IsCompliant,
        };
        DocumentColumns.Write(properties, "Report", report, ControlPlaneJsonContext.Default.ComplianceReport);
        await _table.SubmitAsync([RowChange.Upsert(new TableRow(report.Cluster.ToLowerInvariant(), RowKeyOf(report), properties))], cancellationToken);
    }

    public async Task<ComplianceReport?> GetLatestAsync(string cluster, CancellationToken cancellationToken)
        => (await ListAsync(cluster, 1, null, cancellationToken)).Reports.FirstOrDefault();

    /// <summary>A cluster's reports, newest first.</summary>
    public async Task<ComplianceReportPage> ListAsync(string cluster, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var page = await _table.QueryAsync(
            new RowQuery(PartitionKey: cluster.ToLowerInvariant(), PageSize: Math.Clamp(pageSize, 1, 1000), ContinuationToken: continuationToken),
            cancellationToken);
        return new ComplianceReportPage(
            page.Rows.Select(r => DocumentColumns.Read(r, "Report", ControlPlaneJsonContext.Default.ComplianceReport)).ToList(),
            page.ContinuationToken);
    }

    private static string RowKeyOf(ComplianceReport report)
        => string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.MaxValue.UtcTicks - report.CheckedAt.UtcTicks:D19}-{report.Id}");
}
