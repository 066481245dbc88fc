using System.Text.Json;
using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Api;

public static class PoliciesApi
{
    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/policy").WithTags("Policies");
        api.MapGet(string.Empty, GetAsync).RequireAuthorization(ApiPolicies.Reader).WithName("GetPolicy");
        api.MapPut(string.Empty, PutAsync).RequireAuthorization(ApiPolicies.Operator).Accepts<JsonElement>("application/json").WithName("PutPolicy");
        return endpoints;
    }

    private static Task<IResult> GetAsync(string cluster, IServiceProvider services, CancellationToken cancellationToken)
        => ApiPorts.ForClusterAsync<IPolicyDocuments>(cluster, services, policies => policies.GetAsync(cluster, cancellationToken));

    private static async Task<IResult> PutAsync(string cluster, HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        var body = await StrictJsonBody.ReadElementAsync(request, StrictJsonBody.MaxBytes, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Value.ValueKind != JsonValueKind.Object)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", $"The policy is a JSON {body.Value.ValueKind}; a JSON object is expected.");
        }

        return await ApiPorts.CallAsync<IPolicyDocuments>(services, policies => policies.PutAsync(cluster, body.Value, cancellationToken));
    }
}
