namespace GpuAutomation.ControlPlane.Storage;

public enum RowFilterOperator
{
    Equal,
    LessThan,
}
