using System.Collections.Concurrent;

namespace GpuAutomation.ControlPlane.Storage;

public sealed class InMemoryRecordTableSource : IRecordTableSource
{
    private readonly ConcurrentDictionary<string, InMemoryRecordTable> _tables = new(StringComparer.Ordinal);

    public IRecordTable Open(string name) => _tables.GetOrAdd(name, _ => new InMemoryRecordTable());
}
