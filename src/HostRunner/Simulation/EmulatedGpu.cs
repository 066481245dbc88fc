namespace GpuAutomation.HostRunner.Simulation;

/// <summary>Mutable state of one emulated GPU; guarded by the cluster's lock.</summary>
internal sealed class EmulatedGpu(string node, string instancePath, GpuModel model, int partitionCount, bool sriovEnabled, bool dda, string pnpStatus, int pnpErrorCode, string driverVersion, int slot)
{
    /// <summary>
    /// Encode, decode and compute totals. Server GPU-P drivers report them in 540p blocks and gigaflops
    /// (DXGK_VGPU_PROFILE_CAPABILITY); no public capture gives an A2's figures, so these are the emulator's numbers.
    /// </summary>
    public const ulong UnitTotal = 1_000_000_000;

    /// <summary>TotalVRAM in bytes, as server GPU-P drivers report memory (DXGK_VGPU_PROFILE_CAPABILITY; audit row 8, E3).</summary>
    public ulong VramBytes => (ulong)Model.MemoryGiB << 30;

    public string Node { get; set; } = node;

    public string InstancePath { get; } = instancePath;

    public GpuModel Model { get; } = model;

    public int PartitionCount { get; set; } = partitionCount;

    public bool SriovEnabled { get; } = sriovEnabled;

    public bool Dda { get; } = dda;

    public string PnpStatus { get; set; } = pnpStatus;

    public int PnpErrorCode { get; set; } = pnpErrorCode;

    public string DriverVersion { get; } = driverVersion;

    /// <summary>The GPU's PCI bus on its node (emulator numbering: 0x3B upward, one bus per slot).</summary>
    public int PciBus { get; } = 0x3B + slot;

    public bool IsPartitionable => !Dda;

    /// <summary>The GPU as captured on a real host; the emulator then reports its raw values instead of the model's.</summary>
    public GpuCapture? Capture { get; init; }

    public IReadOnlyList<int> ValidCounts => SriovEnabled ? Model.ValidPartitionCounts : [];
}
