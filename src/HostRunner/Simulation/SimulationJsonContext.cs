using System.Text.Json.Serialization;

namespace GpuAutomation.HostRunner.Simulation;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true)]
[JsonSerializable(typeof(ClusterDescription))]
[JsonSerializable(typeof(EmulatedWorldState))]
internal sealed partial class SimulationJsonContext : JsonSerializerContext;
