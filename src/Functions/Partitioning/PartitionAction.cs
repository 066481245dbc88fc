namespace GpuAutomation.Functions.Partitioning;

public enum PartitionAction
{
    Assign,
    Unassign,
    ConfigurePartitionCount,
}
