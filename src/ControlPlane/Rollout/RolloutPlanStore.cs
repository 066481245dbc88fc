using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Rollout plans per cluster (partition key = cluster, row key = plan id), kept so a plan can be read back and
/// applied by its id, and as a record of what was proposed.
/// </summary>
public sealed class RolloutPlanStore
{
    public const string TableName = "rollouts";

    private readonly IRecordTable _table;

    public RolloutPlanStore(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    public async Task SaveAsync(RolloutPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = plan.Cluster,
            ["PlannedAt"] = plan.PlannedAt,
            ["PartitionCount"] = plan.Request.PartitionCount,
            ["CanApply"] = plan.CanApply,
        };
        DocumentColumns.Write(properties, "Plan", plan, ControlPlaneJsonContext.Default.RolloutPlan);
        await _table.SubmitAsync([RowChange.Insert(new TableRow(plan.Cluster.ToLowerInvariant(), plan.Id, properties))], cancellationToken);
    }

    public async Task<RolloutPlan?> GetAsync(string cluster, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(id);
        var row = await _table.GetAsync(cluster.ToLowerInvariant(), id, cancellationToken);
        return row is null ? null : DocumentColumns.Read(row, "Plan", ControlPlaneJsonContext.Default.RolloutPlan);
    }
}
