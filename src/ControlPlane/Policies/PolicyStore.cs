using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Policies;

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
        ArgumentNullException.ThrowIfNull(cluster);
        var row = await _table.GetAsync(cluster.ToLowerInvariant(), RowKey, cancellationToken);
        return row is null
            ? null
            : new StoredPolicy(
                (string)row.Properties["Cluster"]!,
                DocumentColumns.Read(row, "Policy", ProvisioningJsonContext.Default.ProvisioningPolicy),
                (DateTimeOffset)row.Properties["UpdatedAt"]!,
                (string)row.Properties["UpdatedBy"]!,
                row.ETag ?? string.Empty);
    }

    /// <summary>The cluster's policy, or <see cref="ProvisioningPolicy.Default"/> when nobody set one.</summary>
    public async Task<ProvisioningPolicy> GetEffectiveAsync(string cluster, CancellationToken cancellationToken)
        => (await GetAsync(cluster, cancellationToken))?.Policy ?? ProvisioningPolicy.Default;

    /// <summary>
    /// Writes <paramref name="policy"/> if the stored one is still the version read (<paramref name="etag"/>), or,
    /// with a null ETag, if there is none yet. A lost race throws <see cref="StoreException"/> (store-etag-mismatch or
    /// store-row-exists): read again and decide again.
    /// </summary>
    /// <returns>The new ETag.</returns>
    public async Task<string> SaveAsync(string cluster, ProvisioningPolicy policy, DateTimeOffset updatedAt, string updatedBy, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(policy);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = cluster,
            ["UpdatedAt"] = updatedAt,
            ["UpdatedBy"] = updatedBy,
        };
        DocumentColumns.Write(properties, "Policy", policy, ProvisioningJsonContext.Default.ProvisioningPolicy);
        var etags = await _table.SubmitAsync([RowChange.Write(new TableRow(cluster.ToLowerInvariant(), RowKey, properties, etag))], cancellationToken);
        return etags[0]!;
    }
}
