using System.Text.Json.Serialization;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>Which node a moved VM goes to among those with a free partition.</summary>
public enum PlacementStrategy
{
    /// <summary>The node with the most free partitions: spreads load and keeps failover headroom even.</summary>
    [JsonStringEnumMemberName("spread")]
    Spread,

    /// <summary>The node with the fewest free partitions that still has one: keeps whole nodes free.</summary>
    [JsonStringEnumMemberName("pack")]
    Pack,
}
