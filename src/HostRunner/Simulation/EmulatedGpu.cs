namespace GpuAutomation.HostRunner.Simulation;

/// <summary>Mutable state of one emulated GPU; guarded by the cluster's lock.</summary>
internal sealed class EmulatedGpu(string node, string instancePath, GpuModel model, int partitionCount, bool sriovEnabled, bool dda, string pnpStatus, int pnpErrorCode)
{
    /// <summary>Hyper-V's relative units: VRAM, decode and compute top out at 1e9, encode at UInt64.MaxValue.</summary>
    public const ulong UnitTotal = 1_000_000_000;

    public string Node { get; set; } = node;

    public string InstancePath { get; } = instancePath;

    public GpuModel Model { get; } = model;

    public int PartitionCount { get; set; } = partitionCount;

    public bool SriovEnabled { get; } = sriovEnabled;

    public bool Dda { get; } = dda;

    public string PnpStatus { get; set; } = pnpStatus;

    public int PnpErrorCode { get; set; } = pnpErrorCode;

    public bool IsPartitionable => !Dda;

    public IReadOnlyList<int> ValidCounts => SriovEnabled ? Model.ValidPartitionCounts : [];
}
