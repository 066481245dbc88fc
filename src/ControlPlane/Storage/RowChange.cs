namespace GpuAutomation.ControlPlane.Storage;

/// <summary>One write of a transactional batch; <see cref="TableRow.ETag"/> makes Replace and Delete conditional.</summary>
public sealed record RowChange(RowChangeKind Kind, TableRow Row)
{
    public static RowChange Insert(TableRow row) => new(RowChangeKind.Insert, row);

    /// <summary>Insert when <paramref name="row"/> was never stored (no ETag), else replace that version.</summary>
    public static RowChange Write(TableRow row) => new(row.ETag is null ? RowChangeKind.Insert : RowChangeKind.Replace, row);

    public static RowChange Upsert(TableRow row) => new(RowChangeKind.Upsert, row);

    public static RowChange Delete(string partitionKey, string rowKey, string? etag = null)
        => new(RowChangeKind.Delete, new TableRow(partitionKey, rowKey, new Dictionary<string, object?>(), etag));
}
