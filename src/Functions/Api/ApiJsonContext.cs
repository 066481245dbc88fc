using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Api;

/// <summary>API request and response bodies: camelCase, unknown members refused, required members enforced.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PartitionCountChange))]
[JsonSerializable(typeof(PartitionRequestSubmission))]
[JsonSerializable(typeof(HealthReport))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
