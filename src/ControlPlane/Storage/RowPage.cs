namespace GpuAutomation.ControlPlane.Storage;

/// <summary>A page of rows; a null continuation token means there are no more.</summary>
public sealed record RowPage(IReadOnlyList<TableRow> Rows, string? ContinuationToken);
