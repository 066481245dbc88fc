using Azure;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The app's in-memory tables, with a switch that stands for a Table Storage outage: while <see cref="Down"/> is set
/// every table operation fails the way the Table Storage SDK does when the service is unavailable (503), so the real
/// core fails as it would in production. Switching it off is the service coming back.
/// </summary>
/// <remarks>
/// 503 ServerBusy is the storage services' "unable to receive requests, retry" error
/// (https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes); the SDK surfaces a failed
/// status as <see cref="RequestFailedException"/> with that status and error code.
/// </remarks>
public sealed class StorageOutage : IRecordTableSource
{
    public const string Failure = "The table service is unavailable (test storage outage)";

    private readonly InMemoryRecordTableSource _tables = new();

    public bool Down { get; set; }

    public IRecordTable Open(string name) => new Table(this, _tables.Open(name));

    private sealed class Table(StorageOutage outage, IRecordTable table) : IRecordTable
    {
        public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
            => Available().GetAsync(partitionKey, rowKey, cancellationToken);

        public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
            => Available().QueryAsync(query, cancellationToken);

        public Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
            => Available().SubmitAsync(changes, cancellationToken);

        private IRecordTable Available()
            => outage.Down ? throw new RequestFailedException(503, Failure, "ServerBusy", null) : table;
    }
}
