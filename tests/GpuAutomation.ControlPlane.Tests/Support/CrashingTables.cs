using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>
/// Tables that stop an instance at a chosen write: the first batch <see cref="CrashOn"/> matches throws before it is
/// applied (the process died just before it), and so does every write after it, as nothing runs in a dead process.
/// Reads pass through. Another instance over the inner tables then finds what the stopped one left.
/// </summary>
internal sealed class CrashingTables(IRecordTableSource inner) : IRecordTableSource
{
    private volatile bool _crashed;

    /// <summary>Which batch (table name, changes) the instance dies at; null: never.</summary>
    public Func<string, IReadOnlyList<RowChange>, bool>? CrashOn { get; set; }

    public bool Crashed => _crashed;

    public IRecordTable Open(string name) => new Table(this, name, inner.Open(name));

    private sealed class Table(CrashingTables owner, string name, IRecordTable inner) : IRecordTable
    {
        public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
            => inner.GetAsync(partitionKey, rowKey, cancellationToken);

        public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
            => inner.QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
        {
            if (owner._crashed || owner.CrashOn?.Invoke(name, changes) == true)
            {
                owner._crashed = true;
                throw new SimulatedCrashException($"The instance stopped before writing {string.Join(", ", changes.Select(c => $"{c.Kind} {name}/{c.Row.PartitionKey}/{c.Row.RowKey}"))}.");
            }

            return inner.SubmitAsync(changes, cancellationToken);
        }
    }
}
