namespace GpuAutomation.HostRunner.Cim.Mi;

/// <summary>Where the MI session goes: the local host (no computer name) or another node over WS-Man.</summary>
public sealed record MiCimClientOptions
{
    /// <summary>Null or empty for the local host (DCOM/local transport); a node name for WS-Man.</summary>
    public string? ComputerName { get; init; }

    /// <summary>Optional credentials for a remote node; without them the service identity is used.</summary>
    public string? Domain { get; init; }

    public string? UserName { get; init; }

    public string? Password { get; init; }

    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
