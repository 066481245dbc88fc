using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// A VM's GPU partition adapter: its settings (the twelve values — null while any of them is NULL, i.e. Hyper-V
/// sizes the partition — and the requested GPU) and, once realized, its partition.
/// </summary>
public sealed record GpuPartitionAdapter(
    string AdapterId,
    Guid VmId,
    PartitionValues? Values,
    string? RequestedGpuPath,
    GpuPartitionDevice? Device,
    CimInstance Settings)
{
    public PartitionAdapter ToContract()
        => new(AdapterId, Device?.GpuInstancePath, Device?.PartitionId, Device?.PartitionVfLuid);

    internal static PartitionValues? ValuesOf(CimInstance settings)
    {
        if (HyperVClasses.PartitionValueProperties.Any(n => settings.Get(n) is null))
        {
            return null;
        }

        PartitionRange Range(string name) => new(
            settings.RequireUnsigned($"MinPartition{name}"),
            settings.RequireUnsigned($"MaxPartition{name}"),
            settings.RequireUnsigned($"OptimalPartition{name}"));
        return new PartitionValues(Range("VRAM"), Range("Encode"), Range("Decode"), Range("Compute"));
    }
}
