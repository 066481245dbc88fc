using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>A VM's GPU partition adapter: its settings (the twelve values, the requested GPU) and, once realized, its partition.</summary>
public sealed record GpuPartitionAdapter(
    string AdapterId,
    Guid VmId,
    PartitionValues Values,
    string? RequestedGpuPath,
    GpuPartitionDevice? Device,
    CimInstance Settings)
{
    public PartitionAdapter ToContract()
        => new(AdapterId, Device?.GpuInstancePath, Device?.PartitionId, Device?.PartitionVfLuid);

    internal static PartitionValues ValuesOf(CimInstance settings)
    {
        PartitionRange Range(string name) => new(
            settings.GetUnsigned($"MinPartition{name}") ?? 0,
            settings.GetUnsigned($"MaxPartition{name}") ?? 0,
            settings.GetUnsigned($"OptimalPartition{name}") ?? 0);
        return new PartitionValues(Range("VRAM"), Range("Encode"), Range("Decode"), Range("Compute"));
    }
}
