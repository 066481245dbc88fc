using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>
/// Each cluster's queue of requests waiting for capacity: one row per queued request in the cluster's partition,
/// keyed in admission order (<see cref="QueueEntry.RowKey"/>). The row is written before its request row and removed
/// after the request leaves Queued, so a request can't be Queued without an entry; an entry whose request isn't
/// Queued (or, after the claim timeout, doesn't exist) is left over and removed by whoever meets it.
/// </summary>
public sealed class RequestQueue
{
    public const string TableName = "queue";
    private const string EntryPrefix = "q-";

    private readonly IRecordTable _table;

    public RequestQueue(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    private static string PartitionOf(string cluster) => RequestStore.PartitionOf(cluster, string.Empty);

    public async Task AddAsync(QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = entry.Cluster,
            ["Node"] = entry.Node,
            ["RequestId"] = entry.RequestId,
            ["Priority"] = entry.Priority,
            ["CreatedAt"] = entry.CreatedAt,
            ["ExpiresAt"] = entry.ExpiresAt,
        };
        await _table.SubmitAsync([RowChange.Upsert(new TableRow(PartitionOf(entry.Cluster), entry.RowKey, properties))], cancellationToken);
    }

    public async Task RemoveAsync(QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await _table.SubmitAsync([RowChange.Delete(PartitionOf(entry.Cluster), entry.RowKey)], cancellationToken);
        }
        catch (StoreException ex) when (ex.Code == StoreErrors.RowMissing)
        {
        }
    }

    /// <summary>The cluster's queue in admission order, at most <paramref name="max"/> entries.</summary>
    public Task<List<QueueEntry>> ListAsync(string cluster, int max, CancellationToken cancellationToken)
        => QueryAsync(new RowQuery(PartitionKey: PartitionOf(cluster), RowKeyPrefix: EntryPrefix, PageSize: Math.Min(max, 1000)), max, cancellationToken);

    /// <summary>Where <paramref name="entry"/> stands in its cluster's queue (1: next); null when it is not queued.</summary>
    public async Task<int?> PositionAsync(QueueEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var query = new RowQuery(PartitionKey: PartitionOf(entry.Cluster), RowKeyPrefix: EntryPrefix, Select: ["RequestId"], PageSize: 1000);
        var position = 0;
        string? token = null;
        do
        {
            var page = await _table.QueryAsync(query with { ContinuationToken = token }, cancellationToken);
            foreach (var row in page.Rows)
            {
                position++;
                if (row.RowKey == entry.RowKey)
                {
                    return position;
                }

                if (string.CompareOrdinal(row.RowKey, entry.RowKey) > 0)
                {
                    return null;
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return null;
    }

    /// <summary>Entries of every cluster that expired before <paramref name="now"/>.</summary>
    public Task<List<QueueEntry>> ListExpiredAsync(DateTimeOffset now, int max, CancellationToken cancellationToken)
        => QueryAsync(new RowQuery(RowKeyPrefix: EntryPrefix, Filters: [new RowFilter("ExpiresAt", RowFilterOperator.LessThan, now)], PageSize: Math.Min(max, 1000)), max, cancellationToken);

    /// <summary>The clusters that have queued requests (for the timer's backfill pass, which catches a missed trigger).</summary>
    public async Task<IReadOnlyList<string>> ClustersAsync(int max, CancellationToken cancellationToken)
    {
        var entries = await QueryAsync(new RowQuery(RowKeyPrefix: EntryPrefix, Select: ["Cluster", "Node", "RequestId", "Priority", "CreatedAt", "ExpiresAt"], PageSize: 1000), max, cancellationToken);
        return [.. entries.Select(e => e.Cluster).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// How many entries each cluster's queue holds (cluster names lower-cased), reading at most <paramref name="max"/>
    /// entries of the whole table (only their Cluster property); Truncated when it stopped there, so the counts are lower bounds.
    /// </summary>
    public async Task<(Dictionary<string, int> Counts, bool Truncated)> CountByClusterAsync(int max, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var read = 0;
        var query = new RowQuery(RowKeyPrefix: EntryPrefix, Select: ["Cluster"], PageSize: Math.Min(max, 1000));
        string? token = null;
        do
        {
            var page = await _table.QueryAsync(query with { ContinuationToken = token }, cancellationToken);
            foreach (var row in page.Rows)
            {
                var cluster = (row.GetString("Cluster") ?? string.Empty).ToLowerInvariant();
                counts[cluster] = counts.GetValueOrDefault(cluster) + 1;
                read++;
            }

            token = page.ContinuationToken;
        }
        while (token is not null && read < max);

        return (counts, token is not null);
    }

    private async Task<List<QueueEntry>> QueryAsync(RowQuery query, int max, CancellationToken cancellationToken)
    {
        var entries = new List<QueueEntry>();
        string? token = null;
        do
        {
            var page = await _table.QueryAsync(query with { ContinuationToken = token }, cancellationToken);
            entries.AddRange(page.Rows.Select(ToEntry));
            token = page.ContinuationToken;
        }
        while (token is not null && entries.Count < max);

        return entries.Count > max ? entries[..max] : entries;
    }

    private static QueueEntry ToEntry(TableRow row)
        => new(
            row.GetString("Cluster") ?? string.Empty,
            row.GetString("Node") ?? string.Empty,
            row.GetString("RequestId") ?? string.Empty,
            (int)(row.GetInt64("Priority") ?? 0),
            row.GetTime("CreatedAt") ?? DateTimeOffset.MinValue,
            row.GetTime("ExpiresAt") ?? DateTimeOffset.MinValue);
}
