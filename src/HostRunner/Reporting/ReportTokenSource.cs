using Azure.Core;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Reporting;

/// <summary>
/// The access token every report carries (issue 16, item 1): the node's managed identity (on an Arc-enabled server,
/// Azure.Identity's ManagedIdentityCredential reaches the Arc agent's local endpoint; no secret on the host) for the
/// control plane's API. Kept until shortly before it expires — the credential's RefreshOn when it gives one, else
/// <see cref="RefreshMargin"/> before ExpiresOn — so reports don't each fetch a token.
/// </summary>
public sealed partial class ReportTokenSource
{
    /// <summary>Refresh this long before expiry (Azure.Core's own token refresh offset is 5 minutes, BearerTokenAuthenticationPolicy).</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _request;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AccessToken? _token;

    /// <param name="audience">The API's application ID URI; requested as its ".default" scope (a managed identity asks for a resource).</param>
    public ReportTokenSource(TokenCredential credential, string audience, TimeProvider time, ILogger<ReportTokenSource> logger)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _credential = credential;
        _request = new TokenRequestContext([Scope(audience)]);
        _time = time;
        _logger = logger;
    }

    public string Scope() => _request.Scopes[0];

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } fetched)
            {
                return fetched;
            }

            var token = await _credential.GetTokenAsync(_request, cancellationToken);
            _token = token;
            LogFetched(_logger, _request.Scopes[0], token.ExpiresOn);
            return token.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private string? Fresh()
        => _token is { } token && _time.GetUtcNow() < (token.RefreshOn ?? token.ExpiresOn - RefreshMargin) ? token.Token : null;

    private static string Scope(string audience)
        => audience.EndsWith("/.default", StringComparison.Ordinal) ? audience : audience.TrimEnd('/') + "/.default";

    [LoggerMessage(EventId = 1520, Level = LogLevel.Information, Message = "Fetched a report token for {Scope}, valid until {ExpiresOn}")]
    private static partial void LogFetched(ILogger logger, string scope, DateTimeOffset expiresOn);
}
