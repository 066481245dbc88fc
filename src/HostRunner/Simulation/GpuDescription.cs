namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A physical GPU of a simulated node.</summary>
/// <param name="Model">A model of <see cref="GpuModels"/>, e.g. "NVIDIA A2".</param>
/// <param name="PartitionCount">The configured count; 0 leaves the GPU unpartitioned.</param>
/// <param name="SriovEnabled">False models a GPU with the partition driver but SR-IOV off (Paravirtualization).</param>
/// <param name="Captured">The GPU as captured; then <paramref name="Model"/> is only its name and need not be a known model.</param>
/// <param name="Dda">True models a GPU assigned to a VM with DDA: not partitionable.</param>
/// <param name="DriverVersion">Win32_PnPSignedDriver.DriverVersion of the GPU's driver, Windows form. The default is an
/// illustrative NVIDIA server driver version (NVIDIA's Windows versions end in the driver's release number, 553.24 →
/// 32.0.15.5324), not one captured from an A2 host.</param>
public sealed record GpuDescription(
    string Model,
    int PartitionCount = 0,
    string? InstancePath = null,
    bool SriovEnabled = true,
    bool Dda = false,
    string PnpStatus = "OK",
    int PnpErrorCode = 0,
    string DriverVersion = "32.0.15.5324",
    GpuCapture? Captured = null);
