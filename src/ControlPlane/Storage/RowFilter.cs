namespace GpuAutomation.ControlPlane.Storage;

/// <summary>A condition on a property; the value is a string, long, bool or DateTimeOffset.</summary>
public sealed record RowFilter(string Property, RowFilterOperator Operator, object Value);
