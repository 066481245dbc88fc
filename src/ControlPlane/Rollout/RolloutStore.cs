using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Rollout plans and their runs per cluster (partition key = cluster; row key = plan id, and plan id + "-run" for its
/// run), so a plan can be read back and applied by its id, and a run advanced by whichever instance gets there first
/// (writes are conditional on the ETag read).
/// </summary>
public sealed class RolloutStore
{
    public const string TableName = "rollouts";
    private const string RunSuffix = "-run";

    private readonly IRecordTable _table;

    public RolloutStore(IRecordTableSource tables)
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

    public async Task<StoredRun?> GetRunAsync(string cluster, string planId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(planId);
        var row = await _table.GetAsync(cluster.ToLowerInvariant(), planId + RunSuffix, cancellationToken);
        return row is null ? null : new StoredRun(DocumentColumns.Read(row, "Run", ControlPlaneJsonContext.Default.RolloutRun), row.ETag ?? string.Empty);
    }

    /// <summary>
    /// Writes <paramref name="run"/> if the stored one is still the version read (<paramref name="etag"/>), or, with a
    /// null ETag, if there is none yet. A lost race throws <see cref="StoreException"/>.
    /// </summary>
    /// <returns>The run as stored, with its new ETag.</returns>
    public async Task<StoredRun> SaveRunAsync(RolloutRun run, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = run.Cluster,
            ["Status"] = run.Status.ToString(),
            ["UpdatedAt"] = run.UpdatedAt,
        };
        DocumentColumns.Write(properties, "Run", run, ControlPlaneJsonContext.Default.RolloutRun);
        var etags = await _table.SubmitAsync([RowChange.Write(new TableRow(run.Cluster.ToLowerInvariant(), run.PlanId + RunSuffix, properties, etag))], cancellationToken);
        return new StoredRun(run, etags[0]!);
    }

    /// <summary>The runs still Running, across clusters, for the timer that advances them.</summary>
    public async Task<IReadOnlyList<(string Cluster, string PlanId)>> ListRunningAsync(int limit, CancellationToken cancellationToken)
    {
        var found = new List<(string, string)>();
        string? continuation = null;
        do
        {
            var page = await _table.QueryAsync(
                new RowQuery(Filters: [new RowFilter("Status", RowFilterOperator.Equal, nameof(RolloutStatus.Running))], Select: ["Cluster"], PageSize: Math.Min(limit, 1000), ContinuationToken: continuation),
                cancellationToken);
            found.AddRange(page.Rows.Where(r => r.RowKey.EndsWith(RunSuffix, StringComparison.Ordinal)).Select(r => (r.GetString("Cluster") ?? r.PartitionKey, r.RowKey[..^RunSuffix.Length])));
            continuation = page.ContinuationToken;
        }
        while (continuation is not null && found.Count < limit);
        return found;
    }
}
