using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Api;

public static class ClustersApi
{
    public static IEndpointRouteBuilder MapClustersApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters").WithTags("Clusters");
        api.MapGet(string.Empty, ListClustersAsync).RequireAuthorization(ApiPolicies.Reader).WithName("ListClusters");
        api.MapGet("/{cluster}/inventory", GetInventoryAsync).RequireAuthorization(ApiPolicies.Reader).WithName("GetInventory");
        api.MapPut("/{cluster}/partition-count", ChangePartitionCountAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<PartitionCountChange>("application/json")
            .WithName("ChangePartitionCount");
        return endpoints;
    }

    private static Task<IResult> ListClustersAsync(IServiceProvider services, CancellationToken cancellationToken)
        => ApiPorts.CallAsync<IClusterQueries>(services, queries => queries.ListClustersAsync(cancellationToken));

    private static Task<IResult> GetInventoryAsync(string cluster, IServiceProvider services, CancellationToken cancellationToken)
        => ApiPorts.ForClusterAsync<IClusterQueries>(cluster, services, queries => queries.GetInventoryAsync(cluster, cancellationToken));

    private static async Task<IResult> ChangePartitionCountAsync(string cluster, HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (ApiNames.CheckCluster(cluster) is { } invalidCluster)
        {
            return invalidCluster;
        }

        var idempotencyKey = IdempotencyKey.Read(request, out var invalidKey);
        if (invalidKey is not null)
        {
            return invalidKey;
        }

        var body = await StrictJsonBody.ReadAsync(request, ApiJsonContext.Default.PartitionCountChange, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var change = body.Value;
        if (change.PartitionCount is < 1 or > 64)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", $"partitionCount {change.PartitionCount} is out of range: GPUs offer 1 to 64 partitions.");
        }

        if (change.Gpus is { } gpus)
        {
            if (gpus.Count == 0)
            {
                return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", "gpus is empty; omit it to change every GPU of the cluster.");
            }

            for (var i = 0; i < gpus.Count; i++)
            {
                if (ApiNames.CheckGpu(gpus[i], $"gpus[{i}]") is { } invalidGpu)
                {
                    return invalidGpu;
                }
            }

            if (gpus.Distinct(StringComparer.OrdinalIgnoreCase).Count() != gpus.Count)
            {
                return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", "gpus names a GPU more than once.");
            }
        }

        return await ApiPorts.CallAsync<IPartitioningRequests>(services, requests => requests.ChangePartitionCountAsync(cluster, change, idempotencyKey, cancellationToken));
    }
}
