namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// The GPU models the emulator can place in a host. The A2's counts {16, 8, 4, 2} come from the product's GPU-P
/// documentation; the A16 and L4 counts and all PCI subsystem ids are plausible emulator values, not vendor data.
/// </summary>
public static class GpuModels
{
    public static readonly GpuModel NvidiaA2 = new("NVIDIA A2", "NVIDIA", "VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1", 16, [16, 8, 4, 2]);
    public static readonly GpuModel NvidiaA16 = new("NVIDIA A16", "NVIDIA", "VEN_10DE&DEV_25B6&SUBSYS_14A910DE&REV_A1", 16, [16, 8, 4, 2, 1]);
    public static readonly GpuModel NvidiaL4 = new("NVIDIA L4", "NVIDIA", "VEN_10DE&DEV_27B8&SUBSYS_16CA10DE&REV_A1", 24, [16, 8, 4, 2, 1]);

    public static IReadOnlyList<GpuModel> All { get; } = [NvidiaA2, NvidiaA16, NvidiaL4];

    public static GpuModel Get(string name)
        => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown GPU model '{name}'; the emulator knows {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
}
