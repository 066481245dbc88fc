namespace GpuAutomation.Contracts.Reports;

public enum ClusterEventKind
{
    VmCreated,
    VmRemoved,
    VmMoved,
    VmStateChanged,
    NodeDown,
    NodeUp,
}
