using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Tokens;

namespace GpuAutomation.Testing;

/// <summary>
/// A token issuer shaped like an Entra tenant, with its own RSA keys and no network: it serves its OpenID Connect
/// metadata and JWKS as an <see cref="IDocumentRetriever"/> (handed to the production key source) and mints access
/// tokens with the claims a managed identity's token has (iss, aud, oid, tid, sub, iat/nbf/exp; RS256 with a kid).
/// </summary>
public sealed class LocalTokenIssuer : IDocumentRetriever, IDisposable
{
    public const string DefaultAudience = "api://gpu-automation-test";

    private readonly List<(RSA Rsa, RsaSecurityKey Key)> _keys = [];
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private int _metadataReads;

    public LocalTokenIssuer(string? tenantId = null, Uri? instance = null)
    {
        TenantId = tenantId ?? "7f3c2b1a-0d4e-4f5a-9b6c-8d7e6f5a4b3c";
        Instance = instance ?? new Uri("https://login.test.invalid/");
        AddKey();
    }

    public string TenantId { get; }

    public Uri Instance { get; }

    /// <summary>Where the control plane is told to read metadata: {instance}{tenant}/v2.0/.well-known/openid-configuration.</summary>
    public Uri MetadataAddress => new(Instance, $"{TenantId}/v2.0/.well-known/openid-configuration");

    /// <summary>The v2.0 issuer, as Entra's metadata names it.</summary>
    public string Issuer => new Uri(Instance, $"{TenantId}/v2.0").AbsoluteUri;

    /// <summary>The v1.0 issuer managed identities' tokens carry by default (public cloud).</summary>
    public string V1Issuer => $"https://sts.windows.net/{TenantId}/";

    public Uri JwksAddress => new(Instance, $"{TenantId}/discovery/v2.0/keys");

    /// <summary>How many times metadata or keys were fetched (key caching shows here).</summary>
    public int DocumentReads => Volatile.Read(ref _metadataReads);

    /// <summary>The settings a control plane needs to trust this issuer.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings(string audience = DefaultAudience) =>
    [
        new("GpuAutomation:ReportAuthentication:TenantId", TenantId),
        new("GpuAutomation:ReportAuthentication:Audience", audience),
        new("GpuAutomation:ReportAuthentication:Instance", Instance.AbsoluteUri),
    ];

    /// <summary>Starts signing with a new key, published beside the old ones (a key rollover).</summary>
    public string AddKey()
    {
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "local-" + (_keys.Count + 1) };
        _keys.Add((rsa, key));
        return key.KeyId;
    }

    /// <summary>A key this issuer never publishes: what a forger has.</summary>
    public static SigningCredentials ForeignKey(string keyId)
        => new(new RsaSecurityKey(RSA.Create(2048)) { KeyId = keyId }, SecurityAlgorithms.RsaSha256);

    /// <summary>The current signing key's id, so a forger can reuse it with a key of its own.</summary>
    public string CurrentKeyId => _keys[^1].Key.KeyId;

    /// <summary>An access token of the managed identity <paramref name="objectId"/>.</summary>
    public string Token(
        string objectId,
        DateTimeOffset issuedAt,
        TimeSpan? lifetime = null,
        string audience = DefaultAudience,
        string? issuer = null,
        SigningCredentials? signWith = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? V1Issuer,
            Audience = audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = (issuedAt + (lifetime ?? TimeSpan.FromHours(24))).UtcDateTime,
            Subject = new ClaimsIdentity(
            [
                new Claim("oid", objectId),
                new Claim("sub", objectId),
                new Claim("tid", TenantId),
                new Claim("idtyp", "app"),
            ]),
            SigningCredentials = signWith ?? new SigningCredentials(_keys[^1].Key, SecurityAlgorithms.RsaSha256),
        };
        return _handler.CreateToken(descriptor);
    }

    public Task<string> GetDocumentAsync(string address, CancellationToken cancel)
    {
        Interlocked.Increment(ref _metadataReads);
        if (string.Equals(address, MetadataAddress.AbsoluteUri, StringComparison.Ordinal))
        {
            return Task.FromResult(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = JwksAddress.AbsoluteUri,
                ["token_endpoint"] = new Uri(Instance, $"{TenantId}/oauth2/v2.0/token").AbsoluteUri,
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }));
        }

        if (string.Equals(address, JwksAddress.AbsoluteUri, StringComparison.Ordinal))
        {
            var keys = _keys.Select(k =>
            {
                var parameters = k.Rsa.ExportParameters(false);
                return new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = k.Key.KeyId,
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                    ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                };
            }).ToList();
            return Task.FromResult(JsonSerializer.Serialize(new Dictionary<string, object> { ["keys"] = keys }));
        }

        throw new IOException($"The local issuer serves no document at {address}.");
    }

    public void Dispose()
    {
        foreach (var (rsa, _) in _keys)
        {
            rsa.Dispose();
        }
    }
}
