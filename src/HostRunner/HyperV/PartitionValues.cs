using GpuAutomation.Contracts.Inventory;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>The twelve Min/Max/Optimal values of a GPU partition adapter, in Hyper-V's relative units.</summary>
public sealed record PartitionValues(PartitionRange Vram, PartitionRange Encode, PartitionRange Decode, PartitionRange Compute)
{
    /// <summary>What a partition of this GPU gets at its current count: the GPU's own min/max/optimal.</summary>
    public static PartitionValues For(PartitionableGpu gpu)
    {
        ArgumentNullException.ThrowIfNull(gpu);
        return new(Range(gpu.Resources.Vram), Range(gpu.Resources.Encode), Range(gpu.Resources.Decode), Range(gpu.Resources.Compute));
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
