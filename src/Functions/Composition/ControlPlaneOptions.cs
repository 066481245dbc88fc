namespace GpuAutomation.Functions.Composition;

/// <summary>Tunables of the control plane core (configuration section "GpuAutomation:ControlPlane").</summary>
public sealed class ControlPlaneOptions
{
    public const string SectionName = "GpuAutomation:ControlPlane";

    /// <summary>A request without a result this long after it was accepted becomes TimedOut.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A command's expires-at: a host that hasn't started it by then rejects it. Shorter than the request timeout.</summary>
    public TimeSpan CommandTimeToLive { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>Inventory older than this still validates, with a warning.</summary>
    public TimeSpan InventoryMaxAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The sweep leaves outbox rows younger than this to the dispatch that wrote them.</summary>
    public TimeSpan OutboxGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An idempotency key claimed this long ago whose request was never written is free again.</summary>
    public TimeSpan IdempotencyClaimTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Reads and retries of one read-modify-write before giving up with store-contention.</summary>
    public int MaxConcurrencyAttempts { get; set; } = 200;

    /// <summary>Rows handled per sweep or timeout run.</summary>
    public int MaxRowsPerRun { get; set; } = 500;

    /// <summary>Prefix of the Table Storage table names.</summary>
    public string TablePrefix { get; set; } = "gpu";
}
