using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// The host's invocation payloads use PascalCase names (Data, Metadata, Outputs, Logs, ReturnValue); reading is
/// case-insensitive because the host has changed casing between versions.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(InvocationRequest))]
[JsonSerializable(typeof(InvocationResponse))]
[JsonSerializable(typeof(EventGridValidationResponse))]
[JsonSerializable(typeof(List<InvocationOutcome>))]
internal sealed partial class HostingJsonContext : JsonSerializerContext;
