using System.Security.Claims;
using System.Text;
using System.Text.Json;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/clusters/{cluster}/policy</c>. GET answers the stored policy document (or the default policy when none was
/// set) exactly as PUT takes it, so a GET → edit → PUT round trip works. A policy may be set before any node of its
/// cluster reports. A refused document is 400 invalid-policy with every problem listed in <c>problems</c>.
/// </summary>
public static class PoliciesApi
{
    private const int MaxSaveAttempts = 5;

    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/policy").WithTags("Policies");
        api.MapGet(string.Empty, GetAsync)
            .RequireAuthorization(ApiPolicies.Reader)
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
            .ProducesProblems(400, 401, 403)
            .WithName("GetPolicy");
        api.MapPut(string.Empty, PutAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<JsonElement>("application/json")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json")
            .ProducesProblems(400, 401, 403, 409, 413, 415)
            .WithName("PutPolicy");
        return endpoints;
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        var policy = await services.Policies.GetEffectiveAsync(cluster, cancellationToken);
        return TypedResults.Bytes(PolicyDocument.Serialize(policy), "application/json");
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> PutAsync(
        string cluster,
        HttpRequest request,
        ClaimsPrincipal user,
        [AsParameters] ApiServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
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

        ProvisioningPolicy parsed;
        try
        {
            parsed = PolicyDocument.Parse(Encoding.UTF8.GetBytes(body.Value.GetRawText()));
        }
        catch (ControlPlaneException ex) when (ex.Code == ControlPlaneErrorCodes.InvalidPolicy)
        {
            return TypedResults.Problem(
                detail: $"The policy of cluster {cluster} was not saved: {string.Join(" ", ex.Problems)}",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid policy",
                type: $"https://gpu-automation.invalid/problems/{ControlPlaneErrorCodes.InvalidPolicy}",
                extensions: new Dictionary<string, object?> { ["code"] = ControlPlaneErrorCodes.InvalidPolicy, ["problems"] = ex.Problems.ToArray() });
        }

        for (var attempt = 1; ; attempt++)
        {
            // Conditional on what was just read: a concurrent PUT makes this one read again rather than interleave.
            var current = await services.Policies.GetAsync(cluster, cancellationToken);
            try
            {
                await services.Policies.SaveAsync(cluster, parsed, services.Time.GetUtcNow(), ApiServices.Caller(user), current?.ETag, cancellationToken);
                break;
            }
            catch (StoreException ex) when (ex.IsConflict && attempt < MaxSaveAttempts)
            {
            }
            catch (StoreException ex) when (ex.IsConflict)
            {
                return ApiProblems.Create(StatusCodes.Status409Conflict, ApiErrorCodes.Conflict, "Conflict", $"The policy of cluster {cluster} changed {MaxSaveAttempts} times while this one was being saved; read it again and retry.");
            }
        }

        return TypedResults.Bytes(PolicyDocument.Serialize(parsed), "application/json");
    }
}
