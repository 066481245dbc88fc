using System.Security.Claims;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary><c>/api/clusters</c>: the fleet, one cluster's inventory and failover headroom, and a cluster-wide partition count change.</summary>
public static class ClustersApi
{
    public static IEndpointRouteBuilder MapClustersApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters").WithTags("Clusters");
        api.MapGet(string.Empty, ListClustersAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(401, 403).WithName("ListClusters");
        api.MapGet("/{cluster}/inventory", GetInventoryAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403, 404).WithName("GetInventory");
        api.MapGet("/{cluster}/headroom", GetHeadroomAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403, 404).WithName("GetFailoverHeadroom");
        api.MapPut("/{cluster}/partition-count", ChangePartitionCountAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<PartitionCountChange>("application/json")
            .WithIdempotencyKey()
            .ProducesProblems(400, 401, 403, 404, 409, 413, 415, 422)
            .WithName("ChangePartitionCount");
        return endpoints;
    }

    public static async Task<Ok<ClusterListView>> ListClustersAsync([AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var clusters = await services.Inventory.ListClustersAsync(cancellationToken);
        var now = services.Time.GetUtcNow();
        return TypedResults.Ok(new ClusterListView([.. clusters.OrderBy(c => c.Cluster, StringComparer.OrdinalIgnoreCase).Select(c => ApiViews.Summary(c, now))]));
    }

    public static async Task<Results<Ok<InventoryView>, ProblemHttpResult>> GetInventoryAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        if (await services.Inventory.GetClusterAsync(cluster, cancellationToken) is not { } view)
        {
            return RequestProblems.UnknownCluster(cluster);
        }

        // A node whose reports are refused as future-dated shows stale inventory; say why, naming its skew (issue 16, item 4).
        var skewed = (await services.Nodes.ListAsync(cluster, cancellationToken)).Where(n => n.ClockSkew is not null).ToList();
        var warnings = skewed.Select(n => new NoticeView(
            GpuAutomation.ControlPlane.Reports.ReportRefusalCodes.ClockSkew,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Node {n.Node}'s clock was {n.ClockSkew!.Value.TotalSeconds:N0} s ahead of the control plane's at {n.ClockSkewSeenAt:O}; its reports are refused until it is corrected (then DELETE /api/clusters/{cluster}/nodes/{n.Node}/inventory if a future-dated snapshot was stored before)."),
            null)).ToList();
        return TypedResults.Ok(ApiViews.Inventory(view, services.Time.GetUtcNow()) with { Warnings = warnings.Count > 0 ? warnings : null });
    }

    /// <summary>Failover headroom: whether each node's clustered GPU VMs could restart on the other nodes.</summary>
    public static async Task<Results<Ok<HeadroomView>, ProblemHttpResult>> GetHeadroomAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        if (await services.Inventory.GetClusterAsync(cluster, cancellationToken) is not { } view)
        {
            return RequestProblems.UnknownCluster(cluster);
        }

        var headroom = FailoverHeadroom.Compute(view.Cluster, view.Nodes);
        return TypedResults.Ok(new HeadroomView(
            headroom.Cluster,
            headroom.SurvivesAnyNodeLoss,
            headroom.Worst?.Node,
            [.. headroom.Losses.Select(l => new NodeLossView(l.Node, l.GpuVms, l.FreeElsewhere, l.Short))]));
    }

    /// <summary>
    /// One ConfigurePartitionCount request per node that has a target GPU, all or nothing (the core validates and
    /// admits every node before anything is stored or sent). A refusal lists every node's reason in <c>nodes</c>.
    /// </summary>
    public static async Task<Results<Accepted<PartitionCountChangeView>, ProblemHttpResult>> ChangePartitionCountAsync(
        string cluster,
        HttpRequest request,
        ClaimsPrincipal user,
        [AsParameters] ApiServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
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

        ClusterChangeOutcome outcome;
        try
        {
            outcome = await services.Requests.ChangeClusterPartitionCountAsync(
                new ClusterPartitionCountChange(cluster, change.PartitionCount, change.Gpus, RequestOrigin.Api, ApiServices.Caller(user), IdempotencyKey.Scoped(idempotencyKey, user)),
                cancellationToken);
        }
        catch (ControlPlaneException ex)
        {
            return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), null, clusterInPath: true);
        }

        if (outcome.IsRefused)
        {
            return RequestProblems.ClusterChangeRefused(outcome.Refusals);
        }

        var location = outcome.Requests.Count == 1
            ? PartitionRequestsApi.Location(outcome.Requests[0].Id)
            : $"{PartitionRequestsApi.RequestsPath}?cluster={Uri.EscapeDataString(cluster)}";
        return TypedResults.Accepted(location, new PartitionCountChangeView([.. outcome.Requests.Select(ApiViews.Request)], [.. outcome.Warnings.Select(ApiViews.Notice)]));
    }
}
