namespace GpuAutomation.ControlPlane;

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

    /// <summary>
    /// A report dated further ahead of the control plane's clock than this is refused (clock-skew): kept, it would
    /// make every genuine snapshot "not newer" and freeze the node's inventory (issue 16, item 4). Five minutes, the
    /// tolerance Kerberos uses by default for the same reason (https://learn.microsoft.com/windows/security/threat-protection/security-policy-settings/maximum-tolerance-for-computer-clock-synchronization).
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The sweep leaves outbox rows younger than this to the dispatch that wrote them.</summary>
    public TimeSpan OutboxGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An idempotency key claimed this long ago whose request was never written is free again.</summary>
    public TimeSpan IdempotencyClaimTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A node ledger this instance saw longer ago than this is read again before a grant is checked against the
    /// cluster's reserve. Grants are ordered by the cluster's capacity holds whatever a view's age (see
    /// ClusterCapacityHolds); this bounds how long a change that is not a grant (a snapshot showing a partition taken
    /// outside this tool, a partition count change) takes to reach admission.
    /// </summary>
    public TimeSpan CapacityViewMaxAge { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads and retries of one read-modify-write before giving up with store-contention.</summary>
    public int MaxConcurrencyAttempts { get; set; } = 200;

    /// <summary>Rows handled per sweep or timeout run.</summary>
    public int MaxRowsPerRun { get; set; } = 500;

    public const string DefaultTablePrefix = "gpu";

    /// <summary>Prefix of the Table Storage table names (letters and digits, so every table name stays valid).</summary>
    public string TablePrefix { get; set; } = DefaultTablePrefix;

    /// <summary>Every invalid value, each naming its setting (all of them, not only the first).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                problems.Add($"{SectionName}:{name} is {value}; it must be positive.");
            }
        }

        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(CommandTimeToLive, nameof(CommandTimeToLive));
        Positive(InventoryMaxAge, nameof(InventoryMaxAge));
        Positive(OutboxGracePeriod, nameof(OutboxGracePeriod));
        Positive(IdempotencyClaimTimeout, nameof(IdempotencyClaimTimeout));
        Positive(MaxClockSkew, nameof(MaxClockSkew));
        Positive(CapacityViewMaxAge, nameof(CapacityViewMaxAge));
        if (CommandTimeToLive > RequestTimeout)
        {
            problems.Add($"{SectionName}:{nameof(CommandTimeToLive)} ({CommandTimeToLive}) must not be longer than {nameof(RequestTimeout)} ({RequestTimeout}): a command must expire before its request times out.");
        }

        if (MaxConcurrencyAttempts < 1)
        {
            problems.Add($"{SectionName}:{nameof(MaxConcurrencyAttempts)} is {MaxConcurrencyAttempts}; it must be at least 1.");
        }

        if (MaxRowsPerRun < 1)
        {
            problems.Add($"{SectionName}:{nameof(MaxRowsPerRun)} is {MaxRowsPerRun}; it must be at least 1.");
        }

        if (string.IsNullOrEmpty(TablePrefix) || TablePrefix.Length > 20 || !char.IsAsciiLetter(TablePrefix[0]) || !TablePrefix.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{SectionName}:{nameof(TablePrefix)} '{TablePrefix}' must be 1 to 20 letters and digits, starting with a letter (Table Storage table names).");
        }

        return problems;
    }
}
