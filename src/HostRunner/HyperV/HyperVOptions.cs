namespace GpuAutomation.HostRunner.HyperV;

/// <summary>How long and how often the Hyper-V operations wait. Tests shorten these; production keeps the defaults.</summary>
public sealed record HyperVOptions
{
    public TimeSpan JobPollInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan StatePollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a VM may take to reach a requested power state once its job finished.</summary>
    public TimeSpan StateTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a guest gets to shut down gracefully before it is turned off.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether an assign first ensures <see cref="GpuVmSettings"/> on the VM (only ever raising values).</summary>
    public bool EnsureGpuVmSettings { get; init; } = true;

    /// <summary>
    /// The GPU-P guest settings ensured before an add: Easy-GPU-PV and ExHyperV set these before every add, and a
    /// client host failed the add with 32773 without them (HyperV-WMI-Documentation gpu_specific_assign; audit row 52).
    /// </summary>
    public VmGpuMemorySettings GpuVmSettings { get; init; } = new(true, 1024, 32768);
}
