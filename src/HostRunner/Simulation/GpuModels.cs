namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// The GPU models the emulator can place in a host. Only the A2's counts are sourced: [16, 8, 4, 2, 1] (Azure Local
/// GPU REST API example; the seed's "{16, 8, 4, 2...}" is PowerShell truncating after four items — fidelity audit
/// E1). No public source gives the A16's or L4's counts (audit E2): they are marked <see cref="GpuModel.Verified"/>
/// false, and the L4's are a guess from NVIDIA's 24 GB profiles (1/2/3/4/6/8 per GPU), not data. All PCI subsystem
/// ids are plausible emulator values, not vendor data.
/// </summary>
public static class GpuModels
{
    public static readonly GpuModel NvidiaA2 = new("NVIDIA A2", "NVIDIA", "VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1", 16, [16, 8, 4, 2, 1]);
    public static readonly GpuModel NvidiaA16 = new("NVIDIA A16", "NVIDIA", "VEN_10DE&DEV_25B6&SUBSYS_14A910DE&REV_A1", 16, [16, 8, 4, 2, 1], Verified: false);
    public static readonly GpuModel NvidiaL4 = new("NVIDIA L4", "NVIDIA", "VEN_10DE&DEV_27B8&SUBSYS_16CA10DE&REV_A1", 24, [8, 6, 4, 3, 2, 1], Verified: false);

    public static IReadOnlyList<GpuModel> All { get; } = [NvidiaA2, NvidiaA16, NvidiaL4];

    public static GpuModel Get(string name)
        => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown GPU model '{name}'; the emulator knows {string.Join(", ", All.Select(m => m.Name))}.", nameof(name));
}
