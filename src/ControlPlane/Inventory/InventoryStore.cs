using System.Collections.Concurrent;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>
/// The latest inventory snapshot of each node: partition key = cluster, row key = node (both lower case), so a
/// cluster view is one partition query.
/// </summary>
public sealed class InventoryStore
{
    public const string TableName = "inventory";
    private const int MaxAttempts = 20;
    private static readonly string[] SummaryColumns = ["Cluster", "TakenAt", "GpuCount", "FreePartitions"];
    private static readonly string[] VersionColumns = ["TakenAt"];

    private readonly IRecordTable _table;
    private readonly ConcurrentDictionary<(string Cluster, string Node), StoredInventory> _decoded = new();

    public InventoryStore(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    public async Task<StoredInventory?> GetNodeAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        var row = await _table.GetAsync(Key(cluster), Key(node), cancellationToken);
        return row is null ? null : ToStored(row);
    }

    /// <summary>
    /// Every node's latest snapshot. Reads only the rows' versions first (a small projection) and then only the
    /// snapshots that changed since this store last decoded them: a request is validated against the whole
    /// cluster, and snapshots change far less often than requests arrive.
    /// </summary>
    public async Task<ClusterInventory> GetClusterAsync(string cluster, CancellationToken cancellationToken)
    {
        var versions = new List<TableRow>();
        string? token = null;
        do
        {
            var page = await _table.QueryAsync(new RowQuery(PartitionKey: Key(cluster), Select: VersionColumns, PageSize: 1000, ContinuationToken: token), cancellationToken);
            versions.AddRange(page.Rows);
            token = page.ContinuationToken;
        }
        while (token is not null);

        var nodes = await Task.WhenAll(versions.Select(v => CachedOrReadAsync(v, cancellationToken)));
        return new ClusterInventory(cluster, nodes.OfType<StoredInventory>().Select(n => n.Inventory).ToList());
    }

    public async Task<IReadOnlyList<ClusterSummary>> ListClustersAsync(CancellationToken cancellationToken)
    {
        var rows = new List<TableRow>();
        string? token = null;
        do
        {
            var page = await _table.QueryAsync(new RowQuery(Select: SummaryColumns, PageSize: 1000, ContinuationToken: token), cancellationToken);
            rows.AddRange(page.Rows);
            token = page.ContinuationToken;
        }
        while (token is not null);

        return rows
            .GroupBy(r => r.PartitionKey, StringComparer.Ordinal)
            .Select(g => new ClusterSummary(
                g.First().GetString("Cluster") ?? g.Key,
                g.Count(),
                (int)g.Sum(r => r.GetInt64("GpuCount") ?? 0),
                (int)g.Sum(r => r.GetInt64("FreePartitions") ?? 0),
                g.Min(r => r.GetTime("TakenAt") ?? DateTimeOffset.MinValue),
                g.Max(r => r.GetTime("TakenAt") ?? DateTimeOffset.MinValue)))
            .ToList();
    }

    /// <summary>Stores the snapshot unless the stored one is as new or newer (<see cref="SnapshotOrder"/>: by the agent's sequence within one start, else by time taken).</summary>
    /// <returns>True when it was stored.</returns>
    public Task<bool> SaveIfNewerAsync(string cluster, NodeInventory inventory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        return ChangeAsync(
            cluster,
            inventory.Node,
            stored => SnapshotOrder.IsNewer(inventory, stored) ? inventory : null,
            cancellationToken);
    }

    /// <summary>
    /// Read-modify-write of a node's snapshot with its ETag, redone from a fresh read on conflict.
    /// <paramref name="change"/> returns the new snapshot, or null to leave it.
    /// </summary>
    public async Task<bool> ChangeAsync(string cluster, string node, Func<NodeInventory?, NodeInventory?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        for (var attempt = 1; ; attempt++)
        {
            var stored = await GetNodeAsync(cluster, node, cancellationToken);
            var updated = change(stored?.Inventory);
            if (updated is null)
            {
                return false;
            }

            try
            {
                await _table.SubmitAsync([RowChange.Write(ToRow(cluster, updated, stored?.ETag))], cancellationToken);
                return true;
            }
            catch (StoreException ex) when (ex.IsConflict && attempt < MaxAttempts)
            {
            }
        }
    }

    /// <summary>Deletes a node's stored snapshot (an operator's reset).</summary>
    /// <returns>False when there was none.</returns>
    public async Task<bool> RemoveAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        try
        {
            await _table.SubmitAsync([RowChange.Delete(Key(cluster), Key(node))], cancellationToken);
        }
        catch (StoreException ex) when (ex.Code == StoreErrors.RowMissing)
        {
            return false;
        }

        _decoded.TryRemove((Key(cluster), Key(node)), out _);
        return true;
    }

    internal static string Key(string name) => name.ToLowerInvariant();

    private static TableRow ToRow(string cluster, NodeInventory inventory, string? etag)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = cluster,
            ["Node"] = inventory.Node,
            ["TakenAt"] = inventory.TakenAt,
            ["GpuCount"] = inventory.Gpus.Count,
            ["FreePartitions"] = inventory.Gpus.Sum(g => g.FreePartitions),
        };
        DocumentColumns.Write(properties, "Snapshot", inventory, ControlPlaneJsonContext.Default.NodeInventory);
        return new TableRow(Key(cluster), Key(inventory.Node), properties, etag);
    }

    /// <summary>The decoded snapshot of <paramref name="version"/>'s ETag, or a fresh read (null when the row went away).</summary>
    private async Task<StoredInventory?> CachedOrReadAsync(TableRow version, CancellationToken cancellationToken)
        => version.ETag is { Length: > 0 } etag && _decoded.TryGetValue((version.PartitionKey, version.RowKey), out var cached) && cached.ETag == etag
            ? cached
            : await GetNodeAsync(version.PartitionKey, version.RowKey, cancellationToken);

    /// <summary>
    /// Every submission validates against the whole cluster's snapshots, and decompressing and parsing them costs far
    /// more than reading the rows. A row's ETag changes with every write, so the decoded snapshot of the same ETag is
    /// the same snapshot: keep the last one per node and decode only what changed.
    /// </summary>
    private StoredInventory ToStored(TableRow row)
    {
        var key = (row.PartitionKey, row.RowKey);
        if (row.ETag is { Length: > 0 } etag && _decoded.TryGetValue(key, out var cached) && cached.ETag == etag)
        {
            return cached;
        }

        var stored = new StoredInventory(
            row.GetString("Cluster") ?? row.PartitionKey,
            DocumentColumns.Read(row, "Snapshot", ControlPlaneJsonContext.Default.NodeInventory),
            row.ETag ?? string.Empty);
        if (stored.ETag.Length > 0)
        {
            _decoded[key] = stored;
        }

        return stored;
    }
}
