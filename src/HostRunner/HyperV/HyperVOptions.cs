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
}
