using System.Globalization;
using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Api;

public static class PartitionRequestsApi
{
    public static IEndpointRouteBuilder MapPartitionRequestsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/partition-requests").WithTags("PartitionRequests");
        api.MapPost(string.Empty, SubmitAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<PartitionRequestSubmission>("application/json")
            .WithName("SubmitPartitionRequest");
        api.MapGet(string.Empty, ListAsync).RequireAuthorization(ApiPolicies.Reader).WithName("ListPartitionRequests");
        api.MapGet("/{id}", GetAsync).RequireAuthorization(ApiPolicies.Reader).WithName("GetPartitionRequest");
        return endpoints;
    }

    private static async Task<IResult> SubmitAsync(HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        var idempotencyKey = IdempotencyKey.Read(request, out var invalidKey);
        if (invalidKey is not null)
        {
            return invalidKey;
        }

        var body = await StrictJsonBody.ReadAsync(request, ApiJsonContext.Default.PartitionRequestSubmission, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var submission = body.Value;
        var invalid = ApiNames.CheckCluster(submission.Cluster)
            ?? ApiNames.CheckVm(submission.Vm)
            ?? (submission.Node is null ? null : ApiNames.CheckNode(submission.Node))
            ?? (submission.Gpu is null ? null : ApiNames.CheckGpu(submission.Gpu));
        if (invalid is not null)
        {
            return invalid;
        }

        if (!Enum.IsDefined(submission.Action))
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", "action must be \"assign\" or \"unassign\".");
        }

        return await ApiPorts.CallAsync<IPartitioningRequests>(services, requests => requests.SubmitAsync(submission, idempotencyKey, cancellationToken));
    }

    private static Task<IResult> GetAsync(string id, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (ApiNames.CheckToken(id, "id", ApiNames.MaxRequestIdLength) is { } invalid)
        {
            return Task.FromResult<IResult>(invalid);
        }

        return ApiPorts.CallAsync<IPartitioningRequests>(services, requests => requests.GetAsync(id, cancellationToken));
    }

    private static Task<IResult> ListAsync(HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        var filter = ReadFilter(request.Query, out var invalid);
        if (invalid is not null)
        {
            return Task.FromResult<IResult>(invalid);
        }

        return ApiPorts.CallAsync<IPartitioningRequests>(services, requests => requests.ListAsync(filter!, cancellationToken));
    }

    private static readonly string[] KnownQueryKeys = ["cluster", "status", "vm", "pageSize", "continuationToken"];

    private static PartitionRequestFilter? ReadFilter(IQueryCollection query, out IResult? invalid)
    {
        invalid = null;
        foreach (var key in query.Keys)
        {
            if (!KnownQueryKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"Unknown query parameter '{key}'; known are {string.Join(", ", KnownQueryKeys)}.");
                return null;
            }

            if (query[key].Count > 1)
            {
                invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"Query parameter '{key}' is given {query[key].Count} times; give it once.");
                return null;
            }
        }

        var cluster = Optional(query, "cluster");
        var status = Optional(query, "status");
        var vm = Optional(query, "vm");
        var token = Optional(query, "continuationToken");
        invalid = (cluster is null ? null : ApiNames.CheckCluster(cluster))
            ?? (vm is null ? null : ApiNames.CheckVm(vm))
            ?? (status is null || status.All(char.IsAsciiLetter) && status.Length <= 32
                ? null
                : ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"status '{status}' is not a request status name."))
            ?? (token is null ? null : ApiNames.CheckToken(token, "continuationToken", 2048));
        if (invalid is not null)
        {
            return null;
        }

        var pageSize = PartitionRequestFilter.DefaultPageSize;
        if (Optional(query, "pageSize") is { } pageSizeText
            && (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > PartitionRequestFilter.MaxPageSize))
        {
            invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"pageSize '{pageSizeText}' must be a whole number from 1 to {PartitionRequestFilter.MaxPageSize}.");
            return null;
        }

        return new PartitionRequestFilter(cluster, status, vm, pageSize, token);
    }

    private static string? Optional(IQueryCollection query, string key)
        => query.TryGetValue(key, out var values) && values.ToString() is { Length: > 0 } value ? value : null;
}
