using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Signing keys from OpenID Connect metadata and its jwks_uri, parsed by IdentityModel's
/// <see cref="OpenIdConnectConfigurationRetriever"/>. Cached: fetched again after <see cref="RefreshAfter"/> (12 h,
/// IdentityModel's own automatic refresh interval), or when a token names an unknown key id but at most once per
/// <see cref="MinimumRefreshInterval"/> (5 min, IdentityModel's RefreshInterval), so forged key ids can't make the
/// control plane hammer the tenant. Timed by the <see cref="TimeProvider"/> (IdentityModel's ConfigurationManager
/// refreshes on the wall clock, in the background, which would refuse the first token after a key rollover).
/// A failed fetch keeps the last keys; with none yet it throws, so the report is redelivered rather than refused.
/// </summary>
public sealed class OpenIdSigningKeySource : IReportSigningKeySource
{
    public static readonly TimeSpan RefreshAfter = TimeSpan.FromHours(12);

    public static readonly TimeSpan MinimumRefreshInterval = TimeSpan.FromMinutes(5);

    private readonly string _metadataAddress;
    private readonly IDocumentRetriever _documents;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyCollection<SecurityKey>? _keys;
    private DateTimeOffset _fetchedAt;

    /// <param name="documents">HTTPS in production (<see cref="ForTenant"/>); an in-memory issuer in tests.</param>
    public OpenIdSigningKeySource(Uri metadataAddress, IDocumentRetriever documents, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(metadataAddress);
        ArgumentNullException.ThrowIfNull(documents);
        _metadataAddress = metadataAddress.AbsoluteUri;
        _documents = documents;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The tenant's metadata over HTTPS (Entra: https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration).</summary>
    public static OpenIdSigningKeySource ForTenant(ReportAuthenticationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new OpenIdSigningKeySource(options.MetadataAddress, new HttpDocumentRetriever { RequireHttps = true }, time);
    }

    public async Task<IReadOnlyCollection<SecurityKey>> GetSigningKeysAsync(bool refresh, CancellationToken cancellationToken)
    {
        if (_keys is { } cached && !Due(refresh))
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_keys is { } fetched && !Due(refresh))
            {
                return fetched;
            }

            try
            {
                var configuration = await OpenIdConnectConfigurationRetriever.GetAsync(_metadataAddress, _documents, cancellationToken);
                _keys = [.. configuration.SigningKeys];
            }
            catch (Exception) when (_keys is not null)
            {
                // Last known good: Entra's keys stay valid for weeks; an outage of the metadata must not stop intake.
            }

            _fetchedAt = _time.GetUtcNow();
            return _keys!;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool Due(bool refresh)
    {
        var age = _time.GetUtcNow() - _fetchedAt;
        return age >= RefreshAfter || (refresh && age >= MinimumRefreshInterval);
    }
}
