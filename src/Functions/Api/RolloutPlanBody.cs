using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>POST /api/clusters/{cluster}/partition-count/plans</c>: a rolling partition count change to plan.</summary>
/// <param name="PartitionCount">The count every partitionable GPU of the cluster ends with.</param>
/// <param name="MaxNodesAtOnce">Nodes changed in one stage (1 when omitted).</param>
/// <param name="Moves">Whether VMs may move to another node for the change (<c>never</c> when omitted).</param>
/// <param name="Strategy">Where a moved VM goes (<c>spread</c> when omitted).</param>
public sealed record RolloutPlanBody(int PartitionCount, int? MaxNodesAtOnce = null, MovePolicyBody? Moves = null, PlacementStrategyBody? Strategy = null);

/// <summary><c>never</c>, <c>when-off</c> or <c>live-migrate</c> (names only).</summary>
[JsonConverter(typeof(MovePolicyBodyJsonConverter))]
public enum MovePolicyBody
{
    [JsonStringEnumMemberName("never")]
    Never = 1,

    [JsonStringEnumMemberName("when-off")]
    WhenOff = 2,

    [JsonStringEnumMemberName("live-migrate")]
    LiveMigrate = 3,
}

/// <summary><c>spread</c> or <c>pack</c> (names only).</summary>
[JsonConverter(typeof(PlacementStrategyBodyJsonConverter))]
public enum PlacementStrategyBody
{
    [JsonStringEnumMemberName("spread")]
    Spread = 1,

    [JsonStringEnumMemberName("pack")]
    Pack = 2,
}

public sealed class MovePolicyBodyJsonConverter() : JsonStringEnumConverter<MovePolicyBody>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false);

public sealed class PlacementStrategyBodyJsonConverter() : JsonStringEnumConverter<PlacementStrategyBody>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false);
