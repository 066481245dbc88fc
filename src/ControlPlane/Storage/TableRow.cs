namespace GpuAutomation.ControlPlane.Storage;

/// <summary>
/// One stored row: keys, properties (string, int, long, bool, DateTimeOffset or byte[]) and the ETag it was read with.
/// </summary>
public sealed record TableRow(
    string PartitionKey,
    string RowKey,
    IReadOnlyDictionary<string, object?> Properties,
    string? ETag = null)
{
    public string? GetString(string name) => Properties.TryGetValue(name, out var value) ? value as string : null;

    public long? GetInt64(string name) => Properties.TryGetValue(name, out var value)
        ? value switch { long l => l, int i => i, _ => null }
        : null;

    public DateTimeOffset? GetTime(string name) => Properties.TryGetValue(name, out var value)
        ? value switch { DateTimeOffset t => t, DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)), _ => null }
        : null;

    public byte[]? GetBytes(string name) => Properties.TryGetValue(name, out var value)
        ? value switch { byte[] b => b, BinaryData d => d.ToArray(), _ => null }
        : null;
}
