using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>
/// Tables that hold an instance at a chosen write: the first batch <see cref="PauseOn"/> matches waits, unapplied,
/// until <see cref="Resume"/> (an instance stalled there: a long GC pause, a slow network), then goes on.
/// </summary>
internal sealed class PausingTables(IRecordTableSource inner) : IRecordTableSource
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _paused;

    /// <summary>Which batch (table name, changes) the instance stalls at.</summary>
    public Func<string, IReadOnlyList<RowChange>, bool>? PauseOn { get; set; }

    /// <summary>Completes when the instance reached the batch it stalls at.</summary>
    public Task Reached => _reached.Task;

    public void Resume() => _resumed.TrySetResult();

    public IRecordTable Open(string name) => new Table(this, name, inner.Open(name));

    private sealed class Table(PausingTables owner, string name, IRecordTable inner) : IRecordTable
    {
        public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
            => inner.GetAsync(partitionKey, rowKey, cancellationToken);

        public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
            => inner.QueryAsync(query, cancellationToken);

        public async Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
        {
            if (owner.PauseOn?.Invoke(name, changes) == true && Interlocked.Exchange(ref owner._paused, 1) == 0)
            {
                owner._reached.TrySetResult();
                await owner._resumed.Task.WaitAsync(cancellationToken);
            }

            return await inner.SubmitAsync(changes, cancellationToken);
        }
    }
}
