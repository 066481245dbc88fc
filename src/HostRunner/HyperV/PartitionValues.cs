using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// The twelve Min/Max/Optimal values of a GPU partition adapter, in the host driver's units (bytes of VRAM on
/// server GPU-P drivers, relative units on client GPU-PV: reference/hyperv-wmi.md); only sent when asked for.
/// </summary>
public sealed record PartitionValues(PartitionRange Vram, PartitionRange Encode, PartitionRange Decode, PartitionRange Compute)
{
    /// <summary>What a partition of this GPU gets at its current count: the GPU's own min/max/optimal.</summary>
    public static PartitionValues For(PartitionableGpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return new(Range(gpu.Resources.Vram), Range(gpu.Resources.Encode), Range(gpu.Resources.Decode), Range(gpu.Resources.Compute));
    }

    /// <summary>A 0 is never written (the real-host test's warning, audit row 18): refused before anything is sent.</summary>
    internal void RequireNoZero()
    {
        if (ToProperties().FirstOrDefault(p => p.Value == 0) is { Key: not null } zero)
        {
            throw new CimException(CimErrors.InvalidParameter, $"GPU partition value {zero.Key} is 0: a partition value is never written as 0; leave the sizes unset to let Hyper-V choose.");
        }
    }

    internal IEnumerable<KeyValuePair<string, ulong>> ToProperties()
    {
        foreach (var (name, range) in new[] { ("VRAM", Vram), ("Encode", Encode), ("Decode", Decode), ("Compute", Compute) })
        {
            yield return new($"MinPartition{name}", range.Min);
            yield return new($"MaxPartition{name}", range.Max);
            yield return new($"OptimalPartition{name}", range.Optimal);
        }
    }

    private static PartitionRange Range(PartitionResource resource)
        => new(resource.MinPartition, resource.MaxPartition, resource.OptimalPartition);
}
