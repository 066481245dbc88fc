using System.Text.Json;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/clusters/{cluster}/partition-count/plans</c>: rolling partition count changes, planned first (issue 19).
/// A plan touches nothing; applying one is not built yet.
/// </summary>
public static class RolloutsApi
{
    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/partition-count/plans").WithTags("Rollouts");
        api.MapPost(string.Empty, PlanAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<RolloutPlanBody>("application/json")
            .ProducesProblems(400, 401, 403, 404, 413, 415)
            .WithName("PlanPartitionCountChange");
        api.MapGet("/{planId}", GetAsync)
            .RequireAuthorization(ApiPolicies.Reader)
            .ProducesProblems(400, 401, 403, 404)
            .WithName("GetPartitionCountPlan");
        return endpoints;
    }

    /// <summary>
    /// Plans a rolling change of every partitionable GPU of the cluster to <c>partitionCount</c>. A plan that can't be
    /// done is still returned (201) with its <c>blockers</c>; it is stored and can be read back by its id.
    /// </summary>
    public static async Task<Results<Created<RolloutPlanView>, ProblemHttpResult>> PlanAsync(
        string cluster,
        HttpRequest request,
        [AsParameters] ApiServices services,
        RolloutPlanning planning,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(planning);
        if (ApiNames.CheckCluster(cluster) is { } invalidCluster)
        {
            return invalidCluster;
        }

        var body = await StrictJsonBody.ReadAsync(request, ApiJsonContext.Default.RolloutPlanBody, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var plan = body.Value;
        if (plan.PartitionCount is < 1 or > 64)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", $"partitionCount {plan.PartitionCount} is out of range: GPUs offer 1 to 64 partitions.");
        }

        if (plan.MaxNodesAtOnce is < 1 or > 64)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", $"maxNodesAtOnce {plan.MaxNodesAtOnce} is out of range 1..64.");
        }

        RolloutPlan made;
        try
        {
            made = await planning.PlanAsync(
                new RolloutPlanRequest(
                    cluster,
                    plan.PartitionCount,
                    plan.MaxNodesAtOnce ?? 1,
                    plan.Moves switch { MovePolicyBody.WhenOff => MovePolicy.WhenOff, MovePolicyBody.LiveMigrate => MovePolicy.LiveMigrate, _ => MovePolicy.Never },
                    plan.Strategy == PlacementStrategyBody.Pack ? PlacementStrategy.Pack : PlacementStrategy.Spread),
                cancellationToken);
        }
        catch (ControlPlaneException ex)
        {
            return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), null, clusterInPath: true);
        }

        return TypedResults.Created($"/api/clusters/{Uri.EscapeDataString(made.Cluster)}/partition-count/plans/{made.Id}", View(made));
    }

    public static async Task<Results<Ok<RolloutPlanView>, ProblemHttpResult>> GetAsync(string cluster, string planId, RolloutPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        if (ApiNames.CheckCluster(cluster) is { } invalidCluster)
        {
            return invalidCluster;
        }

        if (ApiNames.CheckToken(planId, "planId", 64) is { } invalidId)
        {
            return invalidId;
        }

        return await planning.GetAsync(cluster, planId, cancellationToken) is { } plan
            ? TypedResults.Ok(View(plan))
            : ApiProblems.Create(StatusCodes.Status404NotFound, RolloutCodes.UnknownPlan, "Unknown plan", $"Cluster {cluster} has no partition count plan {planId}.");
    }

    public static RolloutPlanView View(RolloutPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var e = plan.Estimates;
        return new RolloutPlanView(
            plan.Id,
            plan.Cluster,
            plan.Request.PartitionCount,
            plan.Request.MaxNodesAtOnce,
            Kebab(plan.Request.Moves.ToString()),
            Kebab(plan.Request.Strategy.ToString()),
            plan.PlannedAt,
            plan.CanApply,
            [.. plan.Blockers.Select(ApiViews.Notice)],
            [.. plan.Warnings.Select(ApiViews.Notice)],
            Headroom(plan.Before),
            [.. plan.Stages.Select(s => new RolloutStageView(
                s.Number,
                s.Nodes,
                [.. s.Steps.Select(v => new VmStepView(v.VmName, v.VmId, Kebab(v.Kind.ToString()), v.FromNode, v.ToNode, v.WasRunning, v.Downtime.TotalSeconds, v.Why))],
                Headroom(s.During),
                Headroom(s.After)))],
            [.. plan.Vms.Select(v => new PlannedVmView(v.VmName, v.VmId, v.Priority, v.FromNode, v.FinalNode, v.Downtime.TotalSeconds))],
            [.. plan.LosingPartitions.Select(ApiViews.Notice)],
            new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["stopVm"] = e.StopVm.TotalSeconds,
                ["startVm"] = e.StartVm.TotalSeconds,
                ["removePartition"] = e.RemovePartition.TotalSeconds,
                ["addPartition"] = e.AddPartition.TotalSeconds,
                ["changeCount"] = e.ChangeCount.TotalSeconds,
                ["quickMove"] = e.QuickMove.TotalSeconds,
            },
            [.. plan.Inventory.Select(m => new InventoryMarkView(m.Node, m.TakenAt, m.Sequence))]);
    }

    private static StageHeadroomView Headroom(StageHeadroom h) => new(h.FreePartitions, h.SurvivesAnyNodeLoss, h.WorstNode, h.Short);

    private static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}
