using System.Security.Claims;
using System.Text.Json;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/clusters/{cluster}/partition-count/plans</c>: rolling partition count changes, planned first (issue 19),
/// then applied, paused, resumed or cancelled by the plan's id. A plan touches nothing; an applied one runs as
/// ordinary partition requests, advanced by the outbox timer.
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
        api.MapPost("/{planId}/apply", ApplyAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .ProducesProblems(400, 401, 403, 404, 409)
            .WithName("ApplyPartitionCountPlan");
        api.MapPost("/{planId}/pause", (string cluster, string planId, RolloutRunner runner, CancellationToken ct) => ChangeAsync(cluster, planId, runner, () => runner.PauseAsync(cluster, planId, ct)))
            .RequireAuthorization(ApiPolicies.Operator)
            .ProducesProblems(400, 401, 403, 404, 409)
            .WithName("PausePartitionCountRollout");
        api.MapPost("/{planId}/resume", (string cluster, string planId, RolloutRunner runner, CancellationToken ct) => ChangeAsync(cluster, planId, runner, () => runner.ResumeAsync(cluster, planId, ct)))
            .RequireAuthorization(ApiPolicies.Operator)
            .ProducesProblems(400, 401, 403, 404, 409)
            .WithName("ResumePartitionCountRollout");
        api.MapPost("/{planId}/cancel", (string cluster, string planId, ClaimsPrincipal user, RolloutRunner runner, CancellationToken ct) => ChangeAsync(cluster, planId, runner, () => runner.CancelAsync(cluster, planId, ApiServices.Caller(user), ct)))
            .RequireAuthorization(ApiPolicies.Operator)
            .ProducesProblems(400, 401, 403, 404, 409)
            .WithName("CancelPartitionCountRollout");
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

        return TypedResults.Created(Location(made), View(made));
    }

    /// <summary>The plan, and its run once applied.</summary>
    public static async Task<Results<Ok<RolloutPlanView>, ProblemHttpResult>> GetAsync(string cluster, string planId, RolloutPlanning planning, RolloutRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        ArgumentNullException.ThrowIfNull(runner);
        if (CheckPath(cluster, planId) is { } invalid)
        {
            return invalid;
        }

        if (await planning.GetAsync(cluster, planId, cancellationToken) is not { } plan)
        {
            return UnknownPlan(cluster, planId);
        }

        return TypedResults.Ok(View(plan, await runner.GetRunAsync(plan.Cluster, plan.Id, cancellationToken)));
    }

    /// <summary>
    /// Starts the rollout (202): refused 409 when the plan has blockers, moves VMs (not built yet), or the inventory
    /// changed since it was made (plan again) or is stale. Applying an applied plan answers its run.
    /// </summary>
    public static async Task<Results<Accepted<RolloutPlanView>, ProblemHttpResult>> ApplyAsync(string cluster, string planId, ClaimsPrincipal user, RolloutRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        if (CheckPath(cluster, planId) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var run = await runner.ApplyAsync(cluster, planId, ApiServices.Caller(user), cancellationToken);
            var plan = (await runner.GetPlanAsync(run.Cluster, run.PlanId, cancellationToken))!;
            return TypedResults.Accepted(Location(plan), View(plan, run));
        }
        catch (ControlPlaneException ex)
        {
            return Problem(ex);
        }
    }

    /// <summary>Pause, resume or cancel: the run as it is afterwards; 409 when it isn't running (or paused, to resume).</summary>
    private static async Task<Results<Ok<RolloutRunView>, ProblemHttpResult>> ChangeAsync(string cluster, string planId, RolloutRunner runner, Func<Task<RolloutRun>> change)
    {
        if (CheckPath(cluster, planId) is { } invalid)
        {
            return invalid;
        }

        try
        {
            if (await runner.GetPlanAsync(cluster, planId, default) is not { } plan)
            {
                return UnknownPlan(cluster, planId);
            }

            return TypedResults.Ok(RunView(plan, await change()));
        }
        catch (ControlPlaneException ex)
        {
            return Problem(ex);
        }
    }

    public static RolloutPlanView View(RolloutPlan plan, RolloutRun? run = null)
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
            [.. plan.Inventory.Select(m => new InventoryMarkView(m.Node, m.TakenAt, m.Sequence))],
            run is null ? null : RunView(plan, run));
    }

    public static RolloutRunView RunView(RolloutPlan plan, RolloutRun run)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(run);
        return new RolloutRunView(
            Kebab(run.Status.ToString()),
            Math.Min(run.Stage + 1, plan.Stages.Count),
            plan.Stages.Count,
            Kebab(run.Phase.ToString()),
            [.. run.Current.Select(c => c.RequestId)],
            run.Requests,
            run.StartedAt,
            run.UpdatedAt,
            run.StartedBy,
            run.Note is null ? null : ApiViews.Notice(run.Note),
            run.Status == RolloutStatus.Succeeded ? "nothing." : RolloutRunner.LeftToDo(plan, run));
    }

    private static ProblemHttpResult? CheckPath(string cluster, string planId)
        => ApiNames.CheckCluster(cluster) ?? ApiNames.CheckToken(planId, "planId", 64);

    private static ProblemHttpResult UnknownPlan(string cluster, string planId)
        => ApiProblems.Create(StatusCodes.Status404NotFound, RolloutCodes.UnknownPlan, "Unknown plan", $"Cluster {cluster} has no partition count plan {planId}.");

    /// <summary>404 for an unknown plan; 409 for a plan or run whose state forbids it (plan again, or look at the run).</summary>
    private static ProblemHttpResult Problem(ControlPlaneException ex)
        => ApiProblems.Create(
            ex.Code == RolloutCodes.UnknownPlan ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict,
            ex.Code,
            ex.Code == RolloutCodes.UnknownPlan ? "Unknown plan" : "Rollout refused",
            ex.Message);

    private static string Location(RolloutPlan plan) => $"/api/clusters/{Uri.EscapeDataString(plan.Cluster)}/partition-count/plans/{plan.Id}";

    private static StageHeadroomView Headroom(StageHeadroom h) => new(h.FreePartitions, h.SurvivesAnyNodeLoss, h.WorstNode, h.Short);

    private static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);
}
