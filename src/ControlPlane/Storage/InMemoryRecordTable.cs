using System.Globalization;

namespace GpuAutomation.ControlPlane.Storage;

/// <summary>
/// A table in process memory with Table Storage's semantics (ETags, atomic single-partition batches, ordinal key
/// order, paging): for unit tests and the Sandbox.
/// </summary>
public sealed class InMemoryRecordTable : IRecordTable
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(string PartitionKey, string RowKey), TableRow> _rows = new(KeyOrder.Instance);
    private long _version;

    public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_rows.TryGetValue((partitionKey, rowKey), out var row) ? row : null);
        }
    }

    public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = query.ContinuationToken is { } token ? DecodeToken(token) : ((string, string)?)null;
        var rows = new List<TableRow>();
        string? next = null;
        lock (_gate)
        {
            foreach (var (key, row) in _rows)
            {
                if (after is { } a && KeyOrder.Instance.Compare(key, a) <= 0)
                {
                    continue;
                }

                if (!Matches(row, query))
                {
                    continue;
                }

                if (rows.Count == query.PageSize)
                {
                    next = EncodeToken(rows[^1]);
                    break;
                }

                rows.Add(Project(row, query.Select));
            }
        }

        return Task.FromResult(new RowPage(rows, next));
    }

    public Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
    {
        BatchRules.Check(changes);
        lock (_gate)
        {
            foreach (var change in changes)
            {
                var key = (change.Row.PartitionKey, change.Row.RowKey);
                var exists = _rows.TryGetValue(key, out var current);
                switch (change.Kind)
                {
                    case RowChangeKind.Insert when exists:
                        throw new StoreException(StoreErrors.RowExists, $"Row {key} already exists.");
                    case RowChangeKind.Replace or RowChangeKind.Delete when !exists:
                        throw new StoreException(StoreErrors.RowMissing, $"Row {key} does not exist.");
                    case RowChangeKind.Replace or RowChangeKind.Delete
                        when change.Row.ETag is { } etag && !string.Equals(etag, current!.ETag, StringComparison.Ordinal):
                        throw new StoreException(StoreErrors.ETagMismatch, $"Row {key} changed since it was read.");
                    default:
                        break;
                }
            }

            var etags = new List<string?>(changes.Count);
            foreach (var change in changes)
            {
                var key = (change.Row.PartitionKey, change.Row.RowKey);
                if (change.Kind == RowChangeKind.Delete)
                {
                    _rows.Remove(key);
                    etags.Add(null);
                    continue;
                }

                var etag = string.Create(CultureInfo.InvariantCulture, $"W/\"{++_version}\"");
                _rows[key] = change.Row with { Properties = new Dictionary<string, object?>(change.Row.Properties), ETag = etag };
                etags.Add(etag);
            }

            return Task.FromResult<IReadOnlyList<string?>>(etags);
        }
    }

    private static bool Matches(TableRow row, RowQuery query)
    {
        if (query.PartitionKey is { } pk && !string.Equals(row.PartitionKey, pk, StringComparison.Ordinal))
        {
            return false;
        }

        if (query.PartitionKeyPrefix is { } pkPrefix && !row.PartitionKey.StartsWith(pkPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (query.RowKeyPrefix is { } rkPrefix && !row.RowKey.StartsWith(rkPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var filter in query.Filters ?? [])
        {
            if (!row.Properties.TryGetValue(filter.Property, out var value) || value is null)
            {
                return false;
            }

            var comparison = Compare(value, filter.Value);
            var ok = filter.Operator switch
            {
                RowFilterOperator.Equal => comparison == 0,
                RowFilterOperator.LessThan => comparison < 0,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static int Compare(object stored, object wanted) => (stored, wanted) switch
    {
        (string s, string w) => string.CompareOrdinal(s, w),
        (DateTimeOffset s, DateTimeOffset w) => s.CompareTo(w),
        (long s, long w) => s.CompareTo(w),
        (int s, long w) => ((long)s).CompareTo(w),
        (int s, int w) => s.CompareTo(w),
        (bool s, bool w) => s.CompareTo(w),
        _ => int.MinValue,
    };

    private static TableRow Project(TableRow row, IReadOnlyList<string>? select)
        => select is null
            ? row
            : row with { Properties = row.Properties.Where(p => select.Contains(p.Key, StringComparer.Ordinal)).ToDictionary() };

    private static string EncodeToken(TableRow last) => Convert.ToBase64String(
        System.Text.Encoding.UTF8.GetBytes(last.PartitionKey + "\n" + last.RowKey));

    private static (string, string) DecodeToken(string token)
    {
        var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
        var split = text.IndexOf('\n', StringComparison.Ordinal);
        return (text[..split], text[(split + 1)..]);
    }

    private sealed class KeyOrder : IComparer<(string PartitionKey, string RowKey)>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare((string PartitionKey, string RowKey) x, (string PartitionKey, string RowKey) y)
        {
            var byPartition = string.CompareOrdinal(x.PartitionKey, y.PartitionKey);
            return byPartition != 0 ? byPartition : string.CompareOrdinal(x.RowKey, y.RowKey);
        }
    }
}
