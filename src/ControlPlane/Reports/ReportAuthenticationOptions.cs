namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// How host reports are authenticated (section "GpuAutomation:ReportAuthentication", issue 16 item 1): each report
/// carries an Entra access token of its node's managed identity for the control plane's API, validated against the
/// tenant's signing keys. Either <see cref="TenantId"/> and <see cref="Audience"/> are set, or
/// <see cref="DevelopmentTrust"/> is on (no validation: the Sandbox, an in-memory bus, tests).
/// </summary>
public sealed class ReportAuthenticationOptions
{
    public const string SectionName = "GpuAutomation:ReportAuthentication";

    /// <summary>The Entra tenant (directory id) of the nodes' Arc managed identities and of the API app.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The application ID URI the agents request tokens for, e.g. <c>api://&lt;client id&gt;</c>. v1.0 access tokens
    /// carry it as <c>aud</c>; v2.0 tokens carry the client id instead (<see cref="ClientId"/>)
    /// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "aud").
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>The API app's client id, the <c>aud</c> of v2.0 access tokens; optional.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The Entra authority host. The public cloud's by default; sovereign clouds have their own, and their v1.0
    /// issuer host differs too (<see cref="V1IssuerHost"/>).
    /// </summary>
    public Uri Instance { get; set; } = new("https://login.microsoftonline.com/");

    /// <summary>
    /// The host of v1.0 access tokens' issuer, <c>https://sts.windows.net/{tenant}/</c> in the public cloud. A managed
    /// identity gets a v1.0 token unless the API app's manifest asks for v2.0 (<c>requestedAccessTokenVersion</c>), so
    /// both issuers are accepted (access-token-claims-reference, "iss" and "ver").
    /// </summary>
    public Uri V1IssuerHost { get; set; } = new("https://sts.windows.net/");

    /// <summary>Tolerance for the token's nbf/exp against the control plane's clock (IdentityModel's default is 5 minutes).</summary>
    public TimeSpan TokenClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Accept reports without validating any token. For the Sandbox, the in-memory bus and tests only; logged at start.</summary>
    public bool DevelopmentTrust { get; set; }

    /// <summary>The tenant's OpenID Connect metadata (v2.0), whose jwks_uri lists the signing keys of v1.0 and v2.0 tokens alike.</summary>
    public Uri MetadataAddress => new(Instance, $"{TenantId}/v2.0/.well-known/openid-configuration");

    /// <summary>The v1.0 and v2.0 issuers of the tenant's access tokens.</summary>
    public IReadOnlyList<string> ValidIssuers =>
        [new Uri(V1IssuerHost, $"{TenantId}/").AbsoluteUri, new Uri(Instance, $"{TenantId}/v2.0").AbsoluteUri];

    public IReadOnlyList<string> ValidAudiences =>
        [.. new[] { Audience, ClientId }.OfType<string>().Where(a => a.Length > 0)];

    /// <summary>Every missing or invalid value, each naming its setting.</summary>
    public IReadOnlyList<string> Problems()
    {
        if (DevelopmentTrust)
        {
            return [];
        }

        var problems = new List<string>();
        if (!Guid.TryParse(TenantId, out _))
        {
            problems.Add($"{SectionName}:{nameof(TenantId)} is '{TenantId}'; set the Entra tenant id (a GUID) of the nodes' managed identities, or {SectionName}:{nameof(DevelopmentTrust)}=true for a development setup.");
        }

        if (string.IsNullOrWhiteSpace(Audience))
        {
            problems.Add($"{SectionName}:{nameof(Audience)} is empty; set the API app's application ID URI (e.g. api://<client id>) the agents request tokens for.");
        }

        if (TokenClockSkew < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:{nameof(TokenClockSkew)} is {TokenClockSkew}; it must not be negative.");
        }

        return problems;
    }
}
