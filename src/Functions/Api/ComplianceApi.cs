using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary><c>/api/clusters/{cluster}/compliance</c>: the latest report with history, and a scan on demand.</summary>
public static class ComplianceApi
{
    /// <summary>Reports shown as history beside the latest.</summary>
    public const int HistorySize = 20;

    public static IEndpointRouteBuilder MapComplianceApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/compliance").WithTags("Compliance");
        api.MapGet(string.Empty, GetAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403, 404).WithName("GetCompliance");
        api.MapPost("/scan", ScanAsync).RequireAuthorization(ApiPolicies.Operator).ProducesProblems(400, 401, 403, 404).WithName("ScanCompliance");
        return endpoints;
    }

    public static async Task<Results<Ok<ComplianceView>, ProblemHttpResult>> GetAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        var page = await services.ComplianceReports.ListAsync(cluster, HistorySize, null, cancellationToken);
        if (page.Reports.Count == 0 && await services.Inventory.GetClusterAsync(cluster, cancellationToken) is null)
        {
            return RequestProblems.UnknownCluster(cluster);
        }

        var history = page.Reports.Select(ApiViews.Compliance).ToList();
        return TypedResults.Ok(new ComplianceView(cluster, history.FirstOrDefault(), history, page.ContinuationToken));
    }

    /// <summary>Scans now and answers the report (200): a scan reads stored inventory only, so it is quick.</summary>
    public static async Task<Results<Ok<ComplianceReportView>, ProblemHttpResult>> ScanAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        return await services.Compliance.ScanAsync(cluster, cancellationToken) is { } report
            ? TypedResults.Ok(ApiViews.Compliance(report))
            : RequestProblems.UnknownCluster(cluster);
    }
}
