using Azure.Core;

namespace GpuAutomation.Messaging.Tests;

/// <summary>A TokenCredential handing out "token-1", "token-2", ... each valid for <paramref name="lifetime"/>.</summary>
public sealed class CountingCredential(TimeProvider time, TimeSpan lifetime) : TokenCredential
{
    private int _issued;

    public IReadOnlyList<string> Scopes { get; private set; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Scopes = requestContext.Scopes;
        return new AccessToken($"token-{Interlocked.Increment(ref _issued)}", time.GetUtcNow() + lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
