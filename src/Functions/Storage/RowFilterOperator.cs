namespace GpuAutomation.Functions.Storage;

public enum RowFilterOperator
{
    Equal,
    LessThan,
}
