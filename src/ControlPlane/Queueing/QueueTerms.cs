namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>
/// How a request waits for capacity instead of being refused: at most <paramref name="MaxWaitMinutes"/> after it was
/// submitted, ahead of every queued request of lower <paramref name="Priority"/> (higher goes first; equal: oldest first).
/// </summary>
public sealed record QueueTerms(int MaxWaitMinutes, int Priority = 0)
{
    public const int MaxPriority = 9;

    /// <summary>A week: a request older than that describes a cluster nobody remembers asking about.</summary>
    public const int MaxWaitLimitMinutes = 7 * 24 * 60;

    /// <summary>What is wrong with these terms, each naming the field under <paramref name="at"/>; empty when usable.</summary>
    public IReadOnlyList<string> Problems(string at)
    {
        var problems = new List<string>();
        if (MaxWaitMinutes is < 1 or > MaxWaitLimitMinutes)
        {
            problems.Add($"{at}.maxWaitMinutes: {MaxWaitMinutes} is outside 1..{MaxWaitLimitMinutes}.");
        }

        if (Priority is < 0 or > MaxPriority)
        {
            problems.Add($"{at}.priority: {Priority} is outside 0..{MaxPriority}.");
        }

        return problems;
    }
}
