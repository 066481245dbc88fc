using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>Makes rollout plans from the stored inventory and the cluster's policy, stores them and reads them back.</summary>
public sealed partial class RolloutPlanning(
    InventoryStore inventory,
    PolicyStore policies,
    RolloutStore plans,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<RolloutPlanning> logger)
{
    /// <summary>A plan for <paramref name="request"/>, stored; one that can't be applied says why in its blockers.</summary>
    /// <exception cref="ControlPlaneException">unknown-cluster: no node of the cluster has sent an inventory.</exception>
    public async Task<RolloutPlan> PlanAsync(RolloutPlanRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var clusterInventory = ResourceNames.IsValidHostName(request.Cluster)
            ? await inventory.GetClusterAsync(request.Cluster, cancellationToken)
            : new ClusterInventory(request.Cluster, []);
        if (clusterInventory.Nodes.Count == 0)
        {
            throw new ControlPlaneException(RequestCodes.UnknownCluster, $"Cluster {request.Cluster} is unknown: no node of it has sent an inventory.", isRetryable: false);
        }

        var policy = await policies.GetEffectiveAsync(clusterInventory.Cluster, cancellationToken);
        var plan = RolloutPlanner.Plan(ids.NewId(), request with { Cluster = clusterInventory.Cluster }, clusterInventory, policy, time.GetUtcNow(), options.Value.InventoryMaxAge, RolloutEstimates.Default);
        await plans.SaveAsync(plan, cancellationToken);
        LogPlanned(logger, plan.Id, plan.Cluster, request.PartitionCount, plan.Stages.Count, plan.LosingPartitions.Count, plan.Blockers.Count);
        return plan;
    }

    public Task<RolloutPlan?> GetAsync(string cluster, string id, CancellationToken cancellationToken)
        => plans.GetAsync(cluster, id, cancellationToken);

    [LoggerMessage(EventId = 3701, Level = LogLevel.Information, Message = "Planned rollout {PlanId} of cluster {Cluster} to {PartitionCount} partitions: {Stages} stage(s), {Losing} VM(s) losing a partition, {Blockers} blocker(s)")]
    private static partial void LogPlanned(ILogger logger, string planId, string cluster, int partitionCount, int stages, int losing, int blockers);
}
