using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// Windows Admin Center's GPU labels, derived as reference/hyperv-wmi.md suggests (WAC does not document them):
/// partitionable with valid counts and a working driver → Partitioned; partitionable but no usable counts
/// (SR-IOV off) → Paravirtualization; a working PCI display device that is not partitionable and not a BMC's VGA
/// (<see cref="BaseboardManagementVga"/>) → Ready for DDA; else Not assignable.
/// </summary>
public static class GpuStatusClassifier
{
    public static GpuAssignedStatus Classify(PnpDevice? device, PartitionableGpu? gpu)
    {
        if (gpu is not null)
        {
            if (device is { IsWorking: false })
            {
                return GpuAssignedStatus.NotAssignable;
            }

            return gpu.ValidPartitionCounts.Count > 0 && gpu.PartitionCount > 0
                ? GpuAssignedStatus.Partitioned
                : GpuAssignedStatus.Paravirtualization;
        }

        return device is { IsPciDevice: true } && !BaseboardManagementVga.Is(device)
            ? GpuAssignedStatus.ReadyForDda
            : GpuAssignedStatus.NotAssignable;
    }
}
