using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Security;

public sealed record ClientPrincipalClaim(
    [property: JsonPropertyName("typ")] string Type,
    [property: JsonPropertyName("val")] string Value);
