using Microsoft.IdentityModel.Tokens;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// The keys that sign the tenant's access tokens. Production reads them from the tenant's OpenID Connect metadata
/// (<see cref="OpenIdSigningKeySource"/>); tests serve their own issuer's metadata to the same class.
/// </summary>
public interface IReportSigningKeySource
{
    /// <param name="refresh">
    /// True when a token named a key id the last keys didn't hold: Entra rolls its signing keys over, so fetch again
    /// (rate-limited by the source) before calling the token invalid.
    /// </param>
    Task<IReadOnlyCollection<SecurityKey>> GetSigningKeysAsync(bool refresh, CancellationToken cancellationToken);
}
