using System.Globalization;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Binds a report to the node that sent it (issue 16, item 1): its <see cref="Message.SenderToken"/> must be an access
/// token signed by the tenant's keys, issued by the tenant (v1.0 or v2.0 issuer), for the control plane's API audience,
/// within its lifetime by the control plane's clock, and its <c>oid</c> (the object id of the node's managed identity,
/// https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "oid") must equal the principal id
/// the envelope's node is registered with. Anything else is refused and changes nothing. With development trust, no
/// token is checked (logged as a warning at start by <see cref="ReportAuthenticationStartup"/>).
/// </summary>
public sealed partial class ReportAuthenticator
{
    private readonly ReportAuthenticationOptions _options;
    private readonly IReportSigningKeySource? _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<ReportAuthenticator> _logger;
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>Validates tokens with keys from <paramref name="keys"/>.</summary>
    public ReportAuthenticator(ReportAuthenticationOptions options, IReportSigningKeySource keys, TimeProvider time, ILogger<ReportAuthenticator> logger)
        : this(options, (IReportSigningKeySource?)keys ?? throw new ArgumentNullException(nameof(keys)), time, logger, false)
    {
    }

    private ReportAuthenticator(ReportAuthenticationOptions options, IReportSigningKeySource? keys, TimeProvider time, ILogger<ReportAuthenticator> logger, bool development)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        if (!development && options.Problems() is { Count: > 0 } problems)
        {
            throw new ControlPlaneException(ControlPlaneErrorCodes.InvalidConfiguration, string.Join(" ", problems), isRetryable: false, problems);
        }

        _options = options;
        _keys = keys;
        _time = time;
        _logger = logger;
        IsDevelopmentTrust = development;
    }

    /// <summary>True when reports are trusted by the node they claim: no token is validated.</summary>
    public bool IsDevelopmentTrust { get; }

    /// <summary>Development trust: every report counts for the registered node it claims. Never in production.</summary>
    public static ReportAuthenticator DevelopmentTrust(TimeProvider time, ILogger<ReportAuthenticator> logger)
        => new(new ReportAuthenticationOptions { DevelopmentTrust = true }, null, time, logger, true);

    /// <summary>Why the report doesn't authenticate as <paramref name="node"/>, or null when it does.</summary>
    public async Task<ReportRefusal?> CheckAsync(Message report, RegisteredNode node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(node);
        if (IsDevelopmentTrust)
        {
            return null;
        }

        var envelope = report.Envelope;
        var what = $"{envelope.MessageType} {envelope.MessageId} claiming {envelope.Cluster}/{envelope.Node}";
        if (report.SenderToken is not { Length: > 0 } token)
        {
            return new ReportRefusal(ReportRefusalCodes.UnauthenticatedReport, $"{what} carries no access token (application property '{Message.SenderTokenProperty}'); the agent must send one of its node's managed identity for audience {_options.Audience}.");
        }

        if (node.PrincipalId is not { Length: > 0 } principalId)
        {
            return new ReportRefusal(ReportRefusalCodes.UnauthenticatedReport, $"{what}: the node is registered without a principal id, so no token can prove it sent this; register the object id of its Arc machine's managed identity (GpuAutomation:Nodes:{node.Cluster}:{node.Node}:PrincipalId or PUT /api/clusters/{node.Cluster}/nodes/{node.Node}).");
        }

        var (validated, problem) = await ValidateAsync(token, cancellationToken);
        if (validated is null)
        {
            LogInvalidToken(_logger, envelope.MessageId, envelope.Cluster, envelope.Node, problem!);
            return new ReportRefusal(ReportRefusalCodes.UnauthenticatedReport, $"{what} carries an access token that is not valid: {problem}");
        }

        if (!validated.TryGetPayloadValue<string>("oid", out var objectId) || string.IsNullOrEmpty(objectId))
        {
            return new ReportRefusal(ReportRefusalCodes.UnauthenticatedReport, $"{what} carries an access token without an oid claim, so it names no managed identity.");
        }

        if (!string.Equals(objectId, principalId, StringComparison.OrdinalIgnoreCase))
        {
            return new ReportRefusal(ReportRefusalCodes.SenderMismatch, $"{what} was sent with the token of principal {objectId}, but {node.Cluster}/{node.Node} is registered with principal {principalId}: a node may only report for itself.");
        }

        return null;
    }

    /// <summary>The validated token, or why it isn't valid. Signature, issuer and audience first; then the lifetime by the control plane's clock.</summary>
    private async Task<(JsonWebToken? Token, string? Problem)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var result = await ValidateSignedAsync(token, refresh: false, cancellationToken);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // A key id we don't hold: the tenant may have rolled its keys over since they were fetched.
            result = await ValidateSignedAsync(token, refresh: true, cancellationToken);
        }

        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var now = _time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _))
        {
            return (null, "it has no expiry (exp).");
        }

        if (now > jwt.ValidTo + _options.TokenClockSkew)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"it expired at {jwt.ValidTo:O} (control plane clock {now:O}, tolerance {_options.TokenClockSkew})."));
        }

        if (jwt.ValidFrom != DateTime.MinValue && now + _options.TokenClockSkew < jwt.ValidFrom)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"it is not valid before {jwt.ValidFrom:O} (control plane clock {now:O})."));
        }

        return (jwt, null);
    }

    private async Task<TokenValidationResult> ValidateSignedAsync(string token, bool refresh, CancellationToken cancellationToken)
    {
        var keys = await _keys!.GetSigningKeysAsync(refresh, cancellationToken);
        var parameters = new TokenValidationParameters
        {
            ValidIssuers = _options.ValidIssuers,
            ValidAudiences = _options.ValidAudiences,
            IssuerSigningKeys = keys,
            // Entra signs access tokens with RS256 (the jwks keys are RSA, "alg" RS256 in their header).
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            // Lifetime is checked afterwards against the TimeProvider, so tests and the clock-skew rules share one clock.
            ValidateLifetime = false,
            RequireExpirationTime = false,
        };
        return await _handler.ValidateTokenAsync(token, parameters);
    }

    /// <summary>A stable, readable reason per failure kind (IdentityModel's own messages hide values as PII).</summary>
    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenSignatureKeyNotFoundException => "it is not signed by any of the tenant's signing keys (unknown key id).",
        SecurityTokenInvalidSignatureException => "its signature does not verify with the tenant's signing keys.",
        SecurityTokenInvalidIssuerException => "it was issued by another issuer than the configured tenant.",
        SecurityTokenInvalidAudienceException => "it was issued for another audience than the control plane's API.",
        SecurityTokenInvalidAlgorithmException => "it is not signed with RS256.",
        SecurityTokenMalformedException => "it is not a well-formed JWT.",
        null => "it could not be validated.",
        _ => $"{exception.GetType().Name}.",
    };

    [LoggerMessage(EventId = 3310, Level = LogLevel.Warning, Message = "Report {ReportId} claiming {Cluster}/{Node} has an invalid access token: {Problem}")]
    private static partial void LogInvalidToken(ILogger logger, string reportId, string cluster, string node, string problem);
}
