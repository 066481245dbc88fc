namespace GpuAutomation.Functions.Api;

/// <summary>Compliance findings of a cluster and on-demand scans, from the control plane core.</summary>
public interface IComplianceReports
{
    Task<IResult> GetAsync(string cluster, CancellationToken cancellationToken);

    /// <summary>Starts a scan of one cluster now; 202 with where to read the result.</summary>
    Task<IResult> ScanAsync(string cluster, CancellationToken cancellationToken);
}
