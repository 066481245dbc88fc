using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Api;

public static class ComplianceApi
{
    public static IEndpointRouteBuilder MapComplianceApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/compliance").WithTags("Compliance");
        api.MapGet(string.Empty, GetAsync).RequireAuthorization(ApiPolicies.Reader).WithName("GetCompliance");
        api.MapPost("/scan", ScanAsync).RequireAuthorization(ApiPolicies.Operator).WithName("ScanCompliance");
        return endpoints;
    }

    private static Task<IResult> GetAsync(string cluster, IServiceProvider services, CancellationToken cancellationToken)
        => ApiPorts.ForClusterAsync<IComplianceReports>(cluster, services, reports => reports.GetAsync(cluster, cancellationToken));

    private static Task<IResult> ScanAsync(string cluster, IServiceProvider services, CancellationToken cancellationToken)
        => ApiPorts.ForClusterAsync<IComplianceReports>(cluster, services, reports => reports.ScanAsync(cluster, cancellationToken));
}
