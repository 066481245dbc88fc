using System.Globalization;
using System.Security.Claims;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;
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

        var policy = await services.Policies.GetEffectiveAsync(cluster, cancellationToken);
        var capacities = view.Nodes.Select(FailoverHeadroom.CapacityOf).ToList();
        var headroom = FailoverHeadroom.Compute(view.Cluster, capacities);
        return TypedResults.Ok(new HeadroomView(
            headroom.Cluster,
            headroom.SurvivesAnyNodeLoss,
            headroom.Worst?.Node,
            [.. headroom.Losses.Select(l => new NodeLossView(l.Node, l.GpuVms, l.FreeElsewhere, l.Short, RestartTargets(l.Node, capacities)))],
            Reserve(ClusterReserve.From(view, [], []), policy)));
    }

    /// <summary>
    /// The other nodes' free partitions on the models <paramref name="lost"/>'s GPU VMs use, counted as
    /// <see cref="FailoverHeadroom"/> counts them (healthy GPUs; a VM whose model the host didn't say, or a node
    /// without GPU VMs, can use any model), so they add up to the loss's FreeElsewhere for a single-model node.
    /// </summary>
    private static List<RestartTargetView> RestartTargets(string lost, IReadOnlyList<NodeCapacity> nodes)
    {
        var own = nodes.First(n => string.Equals(n.Node, lost, StringComparison.OrdinalIgnoreCase));
        var models = own.GpuVms.Select(vm => vm.Model).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var anyModel = models.Count == 0 || models.Contains(string.Empty);
        return [.. nodes
            .Where(n => !ReferenceEquals(n, own))
            .Select(n => new RestartTargetView(n.Node, n.FreeByModel.Where(f => anyModel || models.Contains(f.Key)).Sum(f => f.Value)))
            .Where(t => t.FreePartitions > 0)
            .OrderByDescending(t => t.FreePartitions)
            .ThenBy(t => t.Node, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Whether the policy's reserve holds on the last inventory, with the figures admission would quote.</summary>
    private static ReserveView Reserve(ClusterReserve reserve, ProvisioningPolicy policy)
    {
        var mode = policy.Reserve switch
        {
            ReserveMode.Fixed => "fixed",
            ReserveMode.NPlusOne => "n+1",
            _ => "none",
        };
        var onBreach = policy.OnReserveBreach == ReserveBreachAction.Warn ? "warn" : "refuse";
        var holds = reserve.Satisfies(policy.Reserve, policy.ReservePartitions);
        var free = reserve.Free;
        var detail = policy.Reserve switch
        {
            ReserveMode.Fixed => string.Create(CultureInfo.InvariantCulture, $"{free} partition(s) free across the cluster; the policy keeps {policy.ReservePartitions ?? 0} free") + (holds ? "." : ": below the reserve."),
            ReserveMode.NPlusOne when reserve.Nodes.Count == 0 => "No node has reported.",
            ReserveMode.NPlusOne => NPlusOneDetail(reserve, holds),
            _ => "The policy keeps no reserve: the last free partition can be granted.",
        };
        return new ReserveView(mode, policy.Reserve == ReserveMode.Fixed ? policy.ReservePartitions : null, onBreach, holds, free, detail);
    }

    private static string NPlusOneDetail(ClusterReserve reserve, bool holds)
    {
        // The node with the least to spare: the first to break the reserve (ClusterReserve.Satisfies asks this of every node).
        var worst = reserve.Nodes
            .Select(n => (n.Node, Needed: n.GpuVms, Elsewhere: reserve.Free - n.Free))
            .OrderByDescending(x => x.Needed - x.Elsewhere)
            .ThenByDescending(x => x.Needed)
            .First();
        return string.Create(CultureInfo.InvariantCulture, $"Losing node {worst.Node} would need {worst.Needed} free partition(s) on the other nodes for its GPU VM(s); {worst.Elsewhere} are free there")
            + (holds ? "." : ": below the reserve.");
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
