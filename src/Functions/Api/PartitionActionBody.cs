using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// The actions <c>POST /api/partition-requests</c> takes: "assign" / "unassign" on the wire (numbers are refused). The
/// control plane's own <see cref="ControlPlane.Partitioning.PartitionAction"/> has more (count changes, OfflineAction
/// remediation), which callers reach through other routes.
/// </summary>
[JsonConverter(typeof(PartitionActionBodyJsonConverter))]
public enum PartitionActionBody
{
    [JsonStringEnumMemberName("assign")]
    Assign = 1,

    [JsonStringEnumMemberName("unassign")]
    Unassign = 2,
}

/// <summary>Names only: a number would let a client send an action this version doesn't have.</summary>
public sealed class PartitionActionBodyJsonConverter() : JsonStringEnumConverter<PartitionActionBody>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
