using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Api;

/// <summary>What a partition request does to a VM. On the wire "assign" / "unassign" (numbers are refused).</summary>
[JsonConverter(typeof(PartitionActionJsonConverter))]
public enum PartitionAction
{
    [JsonStringEnumMemberName("assign")]
    Assign = 1,

    [JsonStringEnumMemberName("unassign")]
    Unassign = 2,
}

/// <summary>Names only: a number would let a client send an action this version doesn't have.</summary>
public sealed class PartitionActionJsonConverter() : JsonStringEnumConverter<PartitionAction>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);
