using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Requests, their outbox rows and each node's capacity ledger. Everything about one node shares the partition key
/// "{cluster}.{node}" — request rows "r-{id}", outbox rows "o-{commandId}" and the "ledger" row — so accepting a
/// request (request + ledger + outbox) and completing one (request + ledger) are single transactional batches.
/// <see cref="RequestIndex"/> maps request ids to that partition and holds the idempotency claims.
/// </summary>
public sealed class RequestStore
{
    public const string TableName = "requests";
    public const string IndexTableName = RequestIndex.TableName;
    private const string LedgerRowKey = "ledger";

    /// <summary>The cluster's <see cref="ClusterCapacityHolds"/>, in the cluster's own partition ("{cluster}.").</summary>
    private const string CapacityRowKey = "capacity";
    private const string RequestPrefix = "r-";
    private const string OutboxPrefix = "o-";

    /// <summary>Partition of requests whose cluster or node name is not a valid name (rejected, never routed).</summary>
    private const string UnroutablePartition = "~unroutable";

    /// <summary>Outbox messages are commands of a few hundred bytes; one binary property holds 64 KiB.</summary>
    private const int MaxOutboxMessageBytes = 64 * 1024;

    private readonly IRecordTable _table;
    private readonly RequestIndex _index;

    private readonly TimeProvider _time;

    /// <summary>Each node's ledger as this store last read or wrote it (the highest version seen), by partition.</summary>
    private readonly ConcurrentDictionary<string, RecentLedger> _recentLedgers = new(StringComparer.Ordinal);

    /// <summary>Each cluster's capacity holds as this store last read or wrote them, by cluster.</summary>
    private readonly ConcurrentDictionary<string, StoredCapacityHolds> _recentHolds = new(StringComparer.OrdinalIgnoreCase);

    public RequestStore(IRecordTableSource tables, TimeProvider time)
        : this(tables, new RequestIndex(tables), time)
    {
    }

    public RequestStore(IRecordTableSource tables, RequestIndex index, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(time);
        _table = tables.Open(TableName);
        _index = index;
        _time = time;
    }

    public static string PartitionOf(string cluster, string node)
        => ResourceNames.IsValidHostName(cluster) && (node.Length == 0 || ResourceNames.IsValidHostName(node))
            ? $"{cluster}.{node}".ToLowerInvariant()
            : UnroutablePartition;

    /// <summary>What every partition of <paramref name="cluster"/> (see <see cref="PartitionOf"/>) starts with.</summary>
    private static string ClusterPrefix(string cluster) => cluster.ToLowerInvariant() + ".";

    public async Task<StoredRequest?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        if (!IsSafeKey(requestId))
        {
            return null;
        }

        if (await _index.LocateAsync(requestId, cancellationToken) is not { } partition)
        {
            return null;
        }

        var row = await _table.GetAsync(partition, RequestPrefix + requestId, cancellationToken);
        if (row is null && partition.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot)
        {
            // A queued request placed on another node left its node's partition in the commit batch; an instance that
            // stopped before re-indexing it leaves the index pointing there. Find it in the cluster and fix the index.
            return await SearchClusterAsync(requestId, partition[..dot], cancellationToken);
        }

        return row is null ? null : ToStoredRequest(row);
    }

    private async Task<StoredRequest?> SearchClusterAsync(string requestId, string cluster, CancellationToken cancellationToken)
    {
        var rowKey = RequestPrefix + requestId;
        var query = new RowQuery(PartitionKeyPrefix: ClusterPrefix(cluster), RowKeyPrefix: rowKey, PageSize: 1000);
        var found = (await QueryAllAsync(query, int.MaxValue, cancellationToken))
            .Where(r => r.RowKey == rowKey)
            .Select(r => (r.PartitionKey, Stored: ToStoredRequest(r)))
            .OrderBy(r => r.Stored.Request.IsTerminal)
            .ThenByDescending(r => r.Stored.Request.UpdatedAt)
            .FirstOrDefault();
        if (found.Stored is null)
        {
            return null;
        }

        await IndexAsync(requestId, found.PartitionKey, cancellationToken);
        return found.Stored;
    }

    /// <summary>
    /// A request by id, also when its index row is missing because its writer stopped between the batch and the index
    /// write (<see cref="CreateAsync"/>): then the cluster's partitions are searched and the index row rewritten. For
    /// decisions that a missing request would get wrong (taking over an idempotency key), not for every read.
    /// </summary>
    private async Task<StoredRequest?> FindAsync(string requestId, string? cluster, CancellationToken cancellationToken)
    {
        if (await GetAsync(requestId, cancellationToken) is { } indexed)
        {
            return indexed;
        }

        if (cluster is null || !ResourceNames.IsValidHostName(cluster) || !IsSafeKey(requestId))
        {
            return null;
        }

        var rowKey = RequestPrefix + requestId;
        var query = new RowQuery(PartitionKeyPrefix: ClusterPrefix(cluster), RowKeyPrefix: rowKey, PageSize: 1000);
        foreach (var row in await QueryAllAsync(query, int.MaxValue, cancellationToken))
        {
            if (row.RowKey == rowKey)
            {
                await IndexAsync(requestId, row.PartitionKey, cancellationToken);
                return ToStoredRequest(row);
            }
        }

        return null;
    }

    /// <summary>A request whose node is known: one read, without the id index.</summary>
    public async Task<StoredRequest?> GetAsync(string cluster, string node, string requestId, CancellationToken cancellationToken)
    {
        if (!IsSafeKey(requestId))
        {
            return null;
        }

        var row = await _table.GetAsync(PartitionOf(cluster, node), RequestPrefix + requestId, cancellationToken);
        return row is null ? null : ToStoredRequest(row);
    }

    public async Task<StoredLedger?> GetLedgerAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(cluster, node);
        var row = await _table.GetAsync(partition, LedgerRowKey, cancellationToken);
        if (row is null)
        {
            _recentLedgers.TryRemove(partition, out _);
            return null;
        }

        var stored = new StoredLedger(DocumentColumns.Read(row, "Ledger", ControlPlaneJsonContext.Default.NodeLedger), row.ETag);
        Remember(partition, stored);
        return stored;
    }

    /// <summary>The cluster's capacity holds, read fresh (admission against a reserve orders itself on this row's ETag).</summary>
    public async Task<StoredCapacityHolds> GetCapacityHoldsAsync(string cluster, CancellationToken cancellationToken)
    {
        var row = await _table.GetAsync(PartitionOf(cluster, string.Empty), CapacityRowKey, cancellationToken);
        var stored = row is null
            ? new StoredCapacityHolds(new ClusterCapacityHolds(cluster, []), null)
            : new StoredCapacityHolds(DocumentColumns.Read(row, "Holds", ControlPlaneJsonContext.Default.ClusterCapacityHolds), row.ETag);
        _recentHolds[cluster] = stored;
        return stored;
    }

    /// <summary>
    /// The cluster's capacity holds as this store last read or wrote them, read when it has none. They may be stale:
    /// <see cref="SaveCapacityHoldsAsync"/>, conditional on their ETag, finds that out.
    /// </summary>
    public async Task<StoredCapacityHolds> GetRecentCapacityHoldsAsync(string cluster, CancellationToken cancellationToken)
        => _recentHolds.TryGetValue(cluster, out var recent) ? recent : await GetCapacityHoldsAsync(cluster, cancellationToken);

    /// <summary>Writes the cluster's holds if the row is still the version read (<paramref name="etag"/>; null: none yet); a lost race throws a conflict.</summary>
    /// <returns>The holds as written, with their new ETag.</returns>
    public async Task<StoredCapacityHolds> SaveCapacityHoldsAsync(ClusterCapacityHolds holds, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(holds);
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        DocumentColumns.Write(properties, "Holds", holds, ControlPlaneJsonContext.Default.ClusterCapacityHolds);
        try
        {
            var etags = await _table.SubmitAsync([RowChange.Write(new TableRow(PartitionOf(holds.Cluster, string.Empty), CapacityRowKey, properties, etag))], cancellationToken);
            var stored = new StoredCapacityHolds(holds, etags[0]);
            _recentHolds[holds.Cluster] = stored;
            return stored;
        }
        catch (StoreException)
        {
            _recentHolds.TryRemove(holds.Cluster, out _);
            throw;
        }
    }

    /// <summary>
    /// Admits a queued request: the request (conditional on the ETag it was read with, so two instances backfilling
    /// at once can't both admit it), its ledger's reservation (conditional on the ledger's ETag, so never past
    /// capacity) and its outbox row, in one batch.
    /// </summary>
    public async Task<StoredRequest> AdmitQueuedAsync(StoredRequest queued, PartitionRequest accepted, StoredLedger ledger, OutboxEntry outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queued);
        ArgumentNullException.ThrowIfNull(accepted);
        ArgumentNullException.ThrowIfNull(ledger);
        var partition = PartitionOf(accepted.Cluster, accepted.Node);
        var etags = await SubmitWithLedgerAsync(
            partition,
            [RowChange.Write(ToRow(accepted, queued.ETag)), RowChange.Write(ToRow(ledger.Ledger, ledger.ETag)), RowChange.Insert(ToRow(outbox))],
            ledger.Ledger,
            cancellationToken);
        return new StoredRequest(accepted, etags[0] ?? string.Empty);
    }

    /// <summary>
    /// Gives a request that waited without one its command: the request (conditional on the ETag it was read with,
    /// so a second instance continuing the same placement loses) and the command's outbox row, in one batch.
    /// </summary>
    public async Task<StoredRequest> AttachCommandAsync(StoredRequest waiting, PartitionRequest withCommand, OutboxEntry outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        ArgumentNullException.ThrowIfNull(withCommand);
        ArgumentNullException.ThrowIfNull(outbox);
        var etags = await _table.SubmitAsync([RowChange.Write(ToRow(withCommand, waiting.ETag)), RowChange.Insert(ToRow(outbox))], cancellationToken);
        return new StoredRequest(withCommand, etags[0] ?? string.Empty);
    }

    /// <summary>
    /// The ledger as this store last read or wrote it, read when it has none. It may be stale when another
    /// instance wrote since: a write conditional on its ETag finds that out (and forgets it), and a refusal decided
    /// on it must be confirmed on <see cref="GetLedgerAsync"/> before it is final.
    /// </summary>
    public async Task<StoredLedger?> GetRecentLedgerAsync(string cluster, string node, CancellationToken cancellationToken)
        => _recentLedgers.TryGetValue(PartitionOf(cluster, node), out var recent)
            ? recent.Stored
            : await GetLedgerAsync(cluster, node, cancellationToken);

    /// <summary>The ledger as this store last read or wrote it, if that was no longer than <paramref name="maxAge"/> ago; no read.</summary>
    public StoredLedger? PeekRecentLedger(string cluster, string node, TimeSpan maxAge)
        => _recentLedgers.TryGetValue(PartitionOf(cluster, node), out var recent) && _time.GetUtcNow() - recent.SeenAt <= maxAge
            ? recent.Stored
            : null;

    /// <summary>
    /// Claims an idempotency key for a new request (see <see cref="RequestIndex.ClaimAsync"/>); a claim is abandoned
    /// when its request can't be found even by searching the cluster's partitions.
    /// </summary>
    public Task<IdempotencyClaim?> ClaimIdempotencyKeyAsync(string key, string cluster, string requestId, string fingerprint, DateTimeOffset now, TimeSpan staleAfter, CancellationToken cancellationToken)
        => _index.ClaimAsync(key, cluster, requestId, fingerprint, now, staleAfter, async (id, claimCluster) => await FindAsync(id, claimCluster, cancellationToken) is not null, cancellationToken);

    /// <summary>
    /// Writes a new request and its id's index row; with <paramref name="ledger"/>, its ledger (conditional on the
    /// ETag it was read with, inserted when it has none) and the outbox row go in the same batch.
    /// </summary>
    /// <returns>The request as written, with its ETag.</returns>
    public async Task<StoredRequest> CreateAsync(PartitionRequest request, StoredLedger? ledger, OutboxEntry? outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var partition = PartitionOf(request.Cluster, request.Node);
        var changes = new List<RowChange> { RowChange.Insert(ToRow(request, etag: null)) };
        if (ledger is not null)
        {
            changes.Add(RowChange.Write(ToRow(ledger.Ledger, ledger.ETag)));
        }

        if (outbox is not null)
        {
            changes.Add(RowChange.Insert(ToRow(outbox)));
        }

        if (outbox is null)
        {
            // Index first: a request row is never there without the index row that finds it.
            await IndexAsync(request.Id, partition, cancellationToken);
            var etags = await SubmitWithLedgerAsync(partition, changes, ledger?.Ledger, cancellationToken);
            return new StoredRequest(request, etags[0] ?? string.Empty);
        }

        // With an outbox row both writes go at once: that row stays until the command is dispatched, and the sweep
        // that dispatches leftovers writes the index row again (EnsureIndexedAsync); a key's takeover looks for a
        // request its index doesn't find (FindAsync). A failed batch is what the caller sees (and retries on a
        // conflict); a failed index write after a stored batch is tried once more.
        var written = SubmitWithLedgerAsync(partition, changes, ledger?.Ledger, cancellationToken);
        var indexed = IndexAsync(request.Id, partition, cancellationToken);
        try
        {
            await Task.WhenAll(written, indexed);
        }
        catch (Exception) when (written.IsCompletedSuccessfully)
        {
            await IndexAsync(request.Id, partition, cancellationToken);
        }

        return new StoredRequest(request, (await written)[0] ?? string.Empty);
    }

    /// <summary>Writes the index row of a request whose outbox row is left over (idempotent).</summary>
    public Task EnsureIndexedAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return IndexAsync(entry.RequestId, PartitionOf(entry.Cluster, entry.Node), cancellationToken);
    }

    /// <summary>Replaces a request read with its ETag; optionally its ledger and the removal of an outbox row, atomically.</summary>
    /// <param name="deleteOutboxCommandId">The command whose outbox row is removed if still there.</param>
    public async Task UpdateAsync(
        StoredRequest stored,
        PartitionRequest updated,
        StoredLedger? ledger,
        NodeLedger? updatedLedger,
        string? deleteOutboxCommandId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var partition = PartitionOf(updated.Cluster, updated.Node);
        var changes = new List<RowChange> { RowChange.Write(ToRow(updated, stored.ETag)) };
        if (updatedLedger is not null)
        {
            changes.Add(RowChange.Write(ToRow(updatedLedger, ledger?.ETag)));
        }

        if (deleteOutboxCommandId is not null
            && await OutboxExistsAsync(updated.Cluster, updated.Node, deleteOutboxCommandId, cancellationToken))
        {
            changes.Add(RowChange.Delete(partition, OutboxPrefix + deleteOutboxCommandId));
        }

        await SubmitWithLedgerAsync(partition, changes, updatedLedger, cancellationToken);
    }

    /// <summary>
    /// Marks a request dispatched by the writer that created it, which knows its ETag and that the command's outbox
    /// row is there: one batch, no reads. Fails with a conflict when anything changed since, as
    /// <see cref="UpdateAsync"/> would.
    /// </summary>
    public async Task MarkDispatchedAsync(StoredRequest written, PartitionRequest dispatched, string commandId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        ArgumentNullException.ThrowIfNull(dispatched);
        await _table.SubmitAsync(
            [RowChange.Write(ToRow(dispatched, written.ETag)), RowChange.Delete(PartitionOf(dispatched.Cluster, dispatched.Node), OutboxPrefix + commandId)],
            cancellationToken);
    }

    public async Task SaveLedgerAsync(NodeLedger ledger, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        await SubmitWithLedgerAsync(PartitionOf(ledger.Cluster, ledger.Node), [RowChange.Write(ToRow(ledger, etag))], ledger, cancellationToken);
    }

    public async Task<bool> OutboxExistsAsync(string cluster, string node, string commandId, CancellationToken cancellationToken)
        => await _table.GetAsync(PartitionOf(cluster, node), OutboxPrefix + commandId, cancellationToken) is not null;

    public async Task DeleteOutboxAsync(string cluster, string node, string commandId, CancellationToken cancellationToken)
    {
        try
        {
            await _table.SubmitAsync([RowChange.Delete(PartitionOf(cluster, node), OutboxPrefix + commandId)], cancellationToken);
        }
        catch (StoreException ex) when (ex.Code == StoreErrors.RowMissing)
        {
        }
    }

    /// <summary>Replaces a request read with its ETag (a lost race throws a conflict) and returns it with its new ETag.</summary>
    public async Task<StoredRequest> ReplaceAsync(StoredRequest stored, PartitionRequest updated, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(updated);
        var etags = await _table.SubmitAsync([RowChange.Write(ToRow(updated, stored.ETag))], cancellationToken);
        return new StoredRequest(updated, etags[0] ?? string.Empty);
    }

    /// <summary>
    /// Writes a queued request's assignment on the node it is being placed on, with that node's ledger, in one batch
    /// and without touching the id index: the index keeps finding the queued row until the placement is committed
    /// (<see cref="CommitQueuedPlacementAsync"/>). Inserted, or replacing the leftover row <paramref name="replacing"/>.
    /// </summary>
    public async Task<StoredRequest> WriteTentativeAsync(PartitionRequest held, StoredLedger ledger, StoredRequest? replacing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(ledger);
        var partition = PartitionOf(held.Cluster, held.Node);
        var etags = await SubmitWithLedgerAsync(partition, [RowChange.Write(ToRow(held, replacing?.ETag)), RowChange.Write(ToRow(ledger.Ledger, ledger.ETag))], ledger.Ledger, cancellationToken);
        return new StoredRequest(held, etags[0] ?? string.Empty);
    }

    /// <summary>
    /// Commits the placement of a queued request, in one batch of its VM's node's partition: the queued row goes
    /// (conditional on the ETag of the claim, so at most one commit, and none after the claim was rolled back, the
    /// request admitted in place or ended), the Move request comes with its reservation on that node's ledger and its
    /// outbox row. Then the request's id is indexed to <paramref name="assignPartitionNode"/>, where its assignment waits.
    /// </summary>
    public async Task<StoredRequest> CommitQueuedPlacementAsync(StoredRequest claimed, PartitionRequest move, StoredLedger ledger, OutboxEntry outbox, string assignPartitionNode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        ArgumentNullException.ThrowIfNull(move);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(outbox);
        var partition = PartitionOf(move.Cluster, move.Node);

        // The move's index row first: a row that is never found is worse than an index row without its row.
        await IndexAsync(move.Id, partition, cancellationToken);
        var etags = await SubmitWithLedgerAsync(
            partition,
            [RowChange.Delete(partition, RequestPrefix + claimed.Request.Id, claimed.ETag), RowChange.Insert(ToRow(move, etag: null)), RowChange.Write(ToRow(ledger.Ledger, ledger.ETag)), RowChange.Insert(ToRow(outbox))],
            ledger.Ledger,
            cancellationToken);
        try
        {
            await IndexAsync(claimed.Request.Id, PartitionOf(claimed.Request.Cluster, assignPartitionNode), cancellationToken);
        }
        catch (StoreException)
        {
            // Committed all the same: GetAsync finds the assignment by searching the cluster and writes the index then.
        }

        return new StoredRequest(move, etags[1] ?? string.Empty);
    }

    /// <summary>Deletes a request read with its ETag that never took effect (an uncommitted placement), releasing its ledger reservation in the same batch.</summary>
    public async Task DiscardAsync(StoredRequest stored, StoredLedger? ledger, NodeLedger? updatedLedger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var partition = PartitionOf(stored.Request.Cluster, stored.Request.Node);
        var changes = new List<RowChange> { RowChange.Delete(partition, RequestPrefix + stored.Request.Id, stored.ETag) };
        if (updatedLedger is not null)
        {
            changes.Add(RowChange.Write(ToRow(updatedLedger, ledger?.ETag)));
        }

        await SubmitWithLedgerAsync(partition, changes, updatedLedger, cancellationToken);
    }

    /// <summary>Outbox rows written before <paramref name="writtenBefore"/> (younger ones are still being dispatched by their writer).</summary>
    public async Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(DateTimeOffset writtenBefore, int max, CancellationToken cancellationToken)
    {
        var query = new RowQuery(
            RowKeyPrefix: OutboxPrefix,
            Filters: [new RowFilter("CreatedAt", RowFilterOperator.LessThan, writtenBefore)],
            PageSize: Math.Min(max, 1000));
        return (await QueryAllAsync(query, max, cancellationToken)).Select(ToOutbox).ToList();
    }

    /// <summary>Requests in <paramref name="status"/> created before <paramref name="createdBefore"/>.</summary>
    public async Task<IReadOnlyList<StoredRequest>> ListByStatusAsync(RequestStatus status, DateTimeOffset createdBefore, int max, CancellationToken cancellationToken)
    {
        var query = new RowQuery(
            RowKeyPrefix: RequestPrefix,
            Filters:
            [
                new RowFilter("Status", RowFilterOperator.Equal, status.ToString()),
                new RowFilter("CreatedAt", RowFilterOperator.LessThan, createdBefore),
            ],
            PageSize: Math.Min(max, 1000));
        return (await QueryAllAsync(query, max, cancellationToken)).Select(ToStoredRequest).ToList();
    }

    public async Task<RequestPage> ListAsync(RequestListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filters = new List<RowFilter>();
        if (query.Status is { } status)
        {
            filters.Add(new RowFilter("Status", RowFilterOperator.Equal, status.ToString()));
        }

        if (query.VmName is { } vmName)
        {
            filters.Add(new RowFilter("VmName", RowFilterOperator.Equal, vmName));
        }

        var rowQuery = new RowQuery(
            PartitionKey: query.Cluster is not null && query.Node is not null ? PartitionOf(query.Cluster, query.Node) : null,
            PartitionKeyPrefix: query.Cluster is not null && query.Node is null ? ClusterPrefix(query.Cluster) : null,
            RowKeyPrefix: RequestPrefix,
            Filters: filters,
            PageSize: Math.Clamp(query.PageSize, 1, 1000),
            ContinuationToken: query.ContinuationToken);
        var page = await _table.QueryAsync(rowQuery, cancellationToken);
        return new RequestPage(page.Rows.Select(r => ToStoredRequest(r).Request).ToList(), page.ContinuationToken);
    }

    /// <summary>
    /// Submits a batch of one partition and keeps the ledger row it wrote, if any, as the partition's recent ledger;
    /// a failed batch forgets it, since its ETag may be what failed.
    /// </summary>
    private async Task<IReadOnlyList<string?>> SubmitWithLedgerAsync(string partition, List<RowChange> changes, NodeLedger? ledger, CancellationToken cancellationToken)
    {
        IReadOnlyList<string?> etags;
        try
        {
            etags = await _table.SubmitAsync(changes, cancellationToken);
        }
        catch (StoreException)
        {
            _recentLedgers.TryRemove(partition, out _);
            throw;
        }

        var ledgerIndex = changes.FindIndex(c => c.Row.RowKey == LedgerRowKey);
        if (ledger is not null && ledgerIndex >= 0 && etags[ledgerIndex] is { } etag)
        {
            Remember(partition, new StoredLedger(Written(ledger), etag));
        }

        return etags;
    }

    private Task IndexAsync(string requestId, string partition, CancellationToken cancellationToken)
        => _index.IndexAsync(requestId, partition, cancellationToken);

    /// <summary>Keeps the later of two states of a ledger (a slow read must not replace a newer write).</summary>
    private void Remember(string partition, StoredLedger ledger)
    {
        var seen = new RecentLedger(ledger, _time.GetUtcNow());
        _recentLedgers.AddOrUpdate(partition, seen, (_, current) => current.Stored.Ledger.Version > ledger.Ledger.Version ? current : seen);
    }

    /// <summary>The ledger as a write stores it: one version on (see <see cref="NodeLedger.Version"/>).</summary>
    private static NodeLedger Written(NodeLedger ledger) => ledger with { Version = ledger.Version + 1 };

    private async Task<List<TableRow>> QueryAllAsync(RowQuery query, int max, CancellationToken cancellationToken)
    {
        var rows = new List<TableRow>();
        var token = (string?)null;
        do
        {
            var page = await _table.QueryAsync(query with { ContinuationToken = token }, cancellationToken);
            rows.AddRange(page.Rows);
            token = page.ContinuationToken;
        }
        while (token is not null && rows.Count < max);

        return rows.Take(max).ToList();
    }

    private static bool IsSafeKey(string value)
        => value.Length is > 0 and <= 128 && !value.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    private static TableRow ToRow(PartitionRequest request, string? etag)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = request.Cluster,
            ["Node"] = request.Node,
            ["Action"] = request.Action.ToString(),
            ["Status"] = request.Status.ToString(),
            ["VmName"] = request.VmName,
            ["CreatedAt"] = request.CreatedAt,
            ["UpdatedAt"] = request.UpdatedAt,
        };
        DocumentColumns.Write(properties, "Request", request, ControlPlaneJsonContext.Default.PartitionRequest);
        return new TableRow(PartitionOf(request.Cluster, request.Node), RequestPrefix + request.Id, properties, etag);
    }

    private static TableRow ToRow(NodeLedger ledger, string? etag)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["FreePartitions"] = ledger.FreePartitions,
            ["ReservedPartitions"] = ledger.ReservedPartitions,
        };
        DocumentColumns.Write(properties, "Ledger", Written(ledger), ControlPlaneJsonContext.Default.NodeLedger);
        return new TableRow(PartitionOf(ledger.Cluster, ledger.Node), LedgerRowKey, properties, etag);
    }

    private static TableRow ToRow(OutboxEntry entry)
    {
        if (entry.Message.Length > MaxOutboxMessageBytes)
        {
            throw new ArgumentException($"Command {entry.CommandId} is {entry.Message.Length} bytes; an outbox row holds {MaxOutboxMessageBytes}.", nameof(entry));
        }

        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Cluster"] = entry.Cluster,
            ["Node"] = entry.Node,
            ["RequestId"] = entry.RequestId,
            ["Queue"] = entry.Queue,
            ["Message"] = entry.Message.ToArray(),
            ["CreatedAt"] = entry.CreatedAt,
            ["TraceParent"] = entry.TraceParent,
        };
        return new TableRow(PartitionOf(entry.Cluster, entry.Node), OutboxPrefix + entry.CommandId, properties);
    }

    private static StoredRequest ToStoredRequest(TableRow row)
        => new(DocumentColumns.Read(row, "Request", ControlPlaneJsonContext.Default.PartitionRequest), row.ETag ?? string.Empty);

    private static OutboxEntry ToOutbox(TableRow row)
        => new(
            row.GetString("Cluster") ?? string.Empty,
            row.GetString("Node") ?? string.Empty,
            row.RowKey[OutboxPrefix.Length..],
            row.GetString("RequestId") ?? string.Empty,
            row.GetString("Queue") ?? string.Empty,
            row.GetBytes("Message") ?? [],
            row.GetTime("CreatedAt") ?? DateTimeOffset.MinValue,
            row.GetString("TraceParent"));

    private sealed record RecentLedger(StoredLedger Stored, DateTimeOffset SeenAt);
}
