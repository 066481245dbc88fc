using System.Collections.Concurrent;
using Azure.Data.Tables;

namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Tables of one storage account, named <c>{prefix}{name}</c>.</summary>
public sealed class TableStorageRecordTableSource : IRecordTableSource
{
    private readonly TableServiceClient _service;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, TableStorageRecordTable> _tables = new(StringComparer.Ordinal);

    public TableStorageRecordTableSource(TableServiceClient service, string prefix = "gpu")
    {
        _service = service;
        _prefix = prefix;
    }

    public IRecordTable Open(string name)
        => _tables.GetOrAdd(name, n => new TableStorageRecordTable(_service.GetTableClient(_prefix + n)));
}
