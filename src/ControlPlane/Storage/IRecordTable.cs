namespace GpuAutomation.ControlPlane.Storage;

/// <summary>
/// The table operations the control plane's stores need: point reads, paged queries and atomic batches within one
/// partition. Table Storage and the in-memory table both implement it and pass the same contract tests.
/// </summary>
public interface IRecordTable
{
    Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken);

    Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Applies every change or none. All rows must share one partition key (Table Storage's rule; Azurite doesn't
    /// enforce it, so this does). A failed condition throws <see cref="StoreException"/> with a <see cref="StoreErrors"/> code.
    /// </summary>
    /// <returns>The new ETag of each change, null for deletes.</returns>
    Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken);
}
