using Azure;
using Azure.Data.Tables;

namespace GpuAutomation.ControlPlane.Storage;

/// <summary>An <see cref="IRecordTable"/> on Azure Table Storage (or Azurite, or Cosmos DB for Table).</summary>
public sealed class TableStorageRecordTable : IRecordTable
{
    private readonly TableClient _table;
    private readonly Lazy<Task> _created;

    public TableStorageRecordTable(TableClient table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table;
        _created = new Lazy<Task>(() => _table.CreateIfNotExistsAsync());
    }

    public async Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        await _created.Value;
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        return response.HasValue ? ToRow(response.Value!) : null;
    }

    public async Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _created.Value;
        var select = query.Select is null ? null : query.Select.Concat(["PartitionKey", "RowKey"]).ToList();
        var pages = _table.QueryAsync<TableEntity>(Filter(query), query.PageSize, select, cancellationToken)
            .AsPages(query.ContinuationToken, query.PageSize);
        await foreach (var page in pages)
        {
            return new RowPage(page.Values.Select(ToRow).ToList(), page.ContinuationToken);
        }

        return new RowPage([], null);
    }

    public async Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
    {
        BatchRules.Check(changes);
        await _created.Value;
        try
        {
            if (changes.Count == 1)
            {
                return [await ApplyAsync(changes[0], cancellationToken)];
            }

            var actions = changes.Select(ToAction).ToList();
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            return response.Value
                .Select((r, i) => changes[i].Kind == RowChangeKind.Delete ? null : r.Headers.ETag?.ToString())
                .ToList();
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            throw Failed(changes[0].Row.PartitionKey, ex.Status, ex.ErrorCode, ex);
        }
    }

    /// <summary>
    /// One change as a single-entity operation: a transaction costs a multipart request and response for nothing
    /// when there is nothing to make atomic. Same outcomes as in a batch (a delete of a missing row fails).
    /// </summary>
    private async Task<string?> ApplyAsync(RowChange change, CancellationToken cancellationToken)
    {
        var row = change.Row;
        var etag = row.ETag is { } e ? new ETag(e) : ETag.All;
        var response = change.Kind switch
        {
            RowChangeKind.Insert => await _table.AddEntityAsync(ToEntity(row), cancellationToken),
            RowChangeKind.Replace => await _table.UpdateEntityAsync(ToEntity(row), etag, TableUpdateMode.Replace, cancellationToken),
            RowChangeKind.Upsert => await _table.UpsertEntityAsync(ToEntity(row), TableUpdateMode.Replace, cancellationToken),
            RowChangeKind.Delete => await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, etag, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown change kind."),
        };

        // DeleteEntityAsync answers a missing row with a 404 response instead of throwing.
        if (response.Status == 404)
        {
            throw Failed(row.PartitionKey, 404, "ResourceNotFound", null);
        }

        return change.Kind == RowChangeKind.Delete ? null : response.Headers.ETag?.ToString();
    }

    private StoreException Failed(string partitionKey, int status, string? errorCode, Exception? inner)
    {
        var code = status switch { 409 => StoreErrors.RowExists, 412 => StoreErrors.ETagMismatch, _ => StoreErrors.RowMissing };
        return new StoreException(code, $"The change on partition '{partitionKey}' of table '{_table.Name}' failed: {errorCode} (HTTP {status}).", inner);
    }

    private static TableEntity ToEntity(TableRow row)
    {
        var entity = new TableEntity(row.PartitionKey, row.RowKey);
        foreach (var (name, value) in row.Properties)
        {
            entity[name] = value;
        }

        return entity;
    }

    private static TableTransactionAction ToAction(RowChange change)
    {
        var row = change.Row;
        var entity = ToEntity(row);
        var etag = row.ETag is { } e ? new ETag(e) : ETag.All;
        return change.Kind switch
        {
            RowChangeKind.Insert => new TableTransactionAction(TableTransactionActionType.Add, entity),
            RowChangeKind.Replace => new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, etag),
            RowChangeKind.Upsert => new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity),
            RowChangeKind.Delete => new TableTransactionAction(TableTransactionActionType.Delete, entity, etag),
            _ => throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown change kind."),
        };
    }

    private static TableRow ToRow(TableEntity entity)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in entity)
        {
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")
            {
                continue;
            }

            properties[name] = value;
        }

        return new TableRow(entity.PartitionKey, entity.RowKey, properties, entity.ETag.ToString());
    }

    private static string? Filter(RowQuery query)
    {
        var parts = new List<string>();
        if (query.PartitionKey is { } pk)
        {
            parts.Add(TableClient.CreateQueryFilter($"PartitionKey eq {pk}"));
        }

        if (query.PartitionKeyPrefix is { } pkPrefix)
        {
            parts.Add(TableClient.CreateQueryFilter($"PartitionKey ge {pkPrefix} and PartitionKey lt {BatchRules.UpperBound(pkPrefix)}"));
        }

        if (query.RowKeyPrefix is { } rkPrefix)
        {
            parts.Add(TableClient.CreateQueryFilter($"RowKey ge {rkPrefix} and RowKey lt {BatchRules.UpperBound(rkPrefix)}"));
        }

        foreach (var filter in query.Filters ?? [])
        {
            var op = filter.Operator == RowFilterOperator.Equal ? "eq" : "lt";
            var value = filter.Value switch
            {
                string s => TableClient.CreateQueryFilter($"{s}"),
                DateTimeOffset t => TableClient.CreateQueryFilter($"{t}"),
                long l => TableClient.CreateQueryFilter($"{l}"),
                bool b => TableClient.CreateQueryFilter($"{b}"),
                _ => throw new ArgumentException($"Unsupported filter value type {filter.Value.GetType().Name}.", nameof(query)),
            };
            parts.Add($"{filter.Property} {op} {value}");
        }

        return parts.Count == 0 ? null : string.Join(" and ", parts.Select(p => $"({p})"));
    }
}
