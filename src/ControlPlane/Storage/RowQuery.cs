namespace GpuAutomation.ControlPlane.Storage;

/// <summary>
/// A query of one table. Rows come in partition key then row key order (ordinal), a page at a time.
/// </summary>
/// <param name="PartitionKey">Only this partition.</param>
/// <param name="PartitionKeyPrefix">Only partitions whose key starts with this.</param>
/// <param name="RowKeyPrefix">Only rows whose key starts with this.</param>
/// <param name="Select">Only these properties (null: all); keeps scans of large rows cheap.</param>
/// <param name="ContinuationToken">Where the previous page stopped; opaque.</param>
public sealed record RowQuery(
    string? PartitionKey = null,
    string? PartitionKeyPrefix = null,
    string? RowKeyPrefix = null,
    IReadOnlyList<RowFilter>? Filters = null,
    IReadOnlyList<string>? Select = null,
    int PageSize = 100,
    string? ContinuationToken = null);
