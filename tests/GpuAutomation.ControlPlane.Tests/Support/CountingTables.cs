using System.Collections.Concurrent;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>Tables that count point reads by row key (e.g. how many ledger reads a backfill pass costs).</summary>
internal sealed class CountingTables(IRecordTableSource inner) : IRecordTableSource
{
    public ConcurrentDictionary<string, int> Reads { get; } = new(StringComparer.Ordinal);

    public IRecordTable Open(string name) => new Table(this, inner.Open(name));

    private sealed class Table(CountingTables owner, IRecordTable inner) : IRecordTable
    {
        public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
        {
            owner.Reads.AddOrUpdate(rowKey, 1, (_, n) => n + 1);
            return inner.GetAsync(partitionKey, rowKey, cancellationToken);
        }

        public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
            => inner.QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
            => inner.SubmitAsync(changes, cancellationToken);
    }
}
