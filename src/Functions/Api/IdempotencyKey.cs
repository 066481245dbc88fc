using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>The optional Idempotency-Key header: a retried change with the same key returns the first request.</summary>
public static class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";

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
