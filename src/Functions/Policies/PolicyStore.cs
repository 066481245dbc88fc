using GpuAutomation.Functions.Storage;

namespace GpuAutomation.Functions.Policies;

/// <summary>One policy row per cluster (partition key = cluster); writes are conditional on the ETag read.</summary>
public sealed class PolicyStore
{
    public const string TableName = "policies";
    private const string RowKey = "policy";

    private readonly IRecordTable _table;

    public PolicyStore(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    public async Task<StoredPolicy?> GetAsync(string cluster, CancellationToken cancellationToken)
    {
        var row = await _table.GetAsync(cluster.ToLowerInvariant(), RowKey, cancellationToken).ConfigureAwait(false);
        return row is null ? null : new StoredPolicy(DocumentColumns.Read(row, "Policy", ControlPlaneJsonContext.Default.ClusterPolicy), row.ETag ?? string.Empty);
    }

    /// <summary>
    /// Writes <paramref name="policy"/> if the stored one is still the version read (<paramref name="etag"/>), or,
    /// with a null ETag, if there is none yet. A lost race throws <see cref="StoreException"/> (store-etag-mismatch or
    /// store-row-exists): read again and decide again.
    /// </summary>
    /// <returns>The new ETag.</returns>
    public async Task<string> SaveAsync(ClusterPolicy policy, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = policy.Cluster,
            ["UpdatedAt"] = policy.UpdatedAt,
        };
        DocumentColumns.Write(properties, "Policy", policy, ControlPlaneJsonContext.Default.ClusterPolicy);
        var etags = await _table.SubmitAsync([RowChange.Write(new TableRow(policy.Cluster.ToLowerInvariant(), RowKey, properties, etag))], cancellationToken)
            .ConfigureAwait(false);
        return etags[0]!;
    }
}
