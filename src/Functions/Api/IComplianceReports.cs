namespace GpuAutomation.Functions.Api;

/// <summary>Compliance findings of a cluster and on-demand scans, from the control plane core.</summary>
public interface IComplianceReports
{
    Task<IResult> GetAsync(string cluster, CancellationToken cancellationToken);

    /// <summary>Scans one cluster now; 200 with the report, or 404 unknown-cluster.</summary>
    Task<IResult> ScanAsync(string cluster, CancellationToken cancellationToken);
}
