using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// The optional Idempotency-Key header: a retried change with the same key returns the first request. Keys belong to
/// their caller (two operators who both pick "retry-1" don't see each other's requests), and a key asks for one thing:
/// reusing it for a different body is refused (422 idempotency-key-reused).
/// </summary>
public static class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Entra's object id claim as App Service authentication passes it on (the short form when mapped off).</summary>
    private static readonly string[] ObjectIdClaims = ["http://schemas.microsoft.com/identity/claims/objectidentifier", "oid"];

    /// <summary>
    /// The key as the core stores it: scoped to the caller's object id (stable across renames), or their name when
    /// the principal has none.
    /// </summary>
    public static string? Scoped(string? key, ClaimsPrincipal user)
    {
        if (key is null)
        {
            return null;
        }

        var caller = ObjectIdClaims.Select(type => user?.FindFirst(type)?.Value).FirstOrDefault(v => !string.IsNullOrEmpty(v))
            ?? ApiServices.Caller(user!);
        return $"api:{caller.ToLowerInvariant()}:{key}";
    }

    public static string? Read(HttpRequest request, out ProblemHttpResult? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        problem = null;
        if (!request.Headers.TryGetValue(HeaderName, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            problem = ApiProblems.BadRequest(ApiErrorCodes.InvalidHeader, "Invalid header", $"{HeaderName} is sent {values.Count} times; send it once.");
            return null;
        }

        var key = values.ToString();
        problem = ApiNames.CheckToken(key, HeaderName, ApiNames.MaxIdempotencyKeyLength, ApiErrorCodes.InvalidHeader);
        return problem is null ? key : null;
    }
}
