namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A VM's emulated GPU partition adapter and the partition it holds.</summary>
internal sealed class EmulatedAdapter(string adapterId)
{
    public string AdapterId { get; } = adapterId;

    /// <summary>The twelve Min/Max/Optimal values by property name; a missing one is NULL (Hyper-V's default).</summary>
    public Dictionary<string, ulong> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? RequestedGpuPath { get; set; }

    public EmulatedGpu? Gpu { get; set; }

    public int? PartitionId { get; set; }

    public string? VfLuid { get; set; }
}
