using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Security;

/// <summary>The caller as App Service Authentication passes it: X-MS-CLIENT-PRINCIPAL, base64 of this JSON.</summary>
public sealed record ClientPrincipal(
    [property: JsonPropertyName("auth_typ")] string? AuthenticationType,
    [property: JsonPropertyName("name_typ")] string? NameClaimType,
    [property: JsonPropertyName("role_typ")] string? RoleClaimType,
    [property: JsonPropertyName("claims")] IReadOnlyList<ClientPrincipalClaim>? Claims);
