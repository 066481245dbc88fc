using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>A Msvm_PartitionableGpu: <see cref="Name"/> is its device interface path and identity.</summary>
public sealed record PartitionableGpu(
    string Name,
    CimInstancePath Path,
    IReadOnlyList<int> ValidPartitionCounts,
    int PartitionCount,
    GpuResources Resources)
{
    internal static PartitionableGpu From(CimInstance instance)
        => new(
            instance.RequireString("Name"),
            instance.Path,
            [.. instance.GetUInt16Array("ValidPartitionCounts").Select(c => (int)c)],
            (int)(instance.GetUnsigned("PartitionCount") ?? 0),
            new GpuResources(Resource(instance, "VRAM"), Resource(instance, "Encode"), Resource(instance, "Decode"), Resource(instance, "Compute")));

    private static PartitionResource Resource(CimInstance gpu, string name)
        => new(
            gpu.GetUnsigned($"Total{name}") ?? 0,
            gpu.GetUnsigned($"Available{name}") ?? 0,
            gpu.GetUnsigned($"MinPartition{name}") ?? 0,
            gpu.GetUnsigned($"MaxPartition{name}") ?? 0,
            gpu.GetUnsigned($"OptimalPartition{name}") ?? 0);
}
