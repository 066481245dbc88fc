namespace GpuAutomation.ControlPlane.Placement;

/// <summary>The nodes a VM could move to for a partition, best first; empty with <paramref name="WhyNone"/> when it can't move.</summary>
public sealed record PlacementChoice(IReadOnlyList<PlacementCandidate> Candidates, string? WhyNone)
{
    public static PlacementChoice None(string why) => new([], why);
}
