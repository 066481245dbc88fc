using System.Security.Cryptography;

namespace GpuAutomation.Functions.Portal;

/// <summary>
/// Entity tags for the reads the portal polls (clusters, inventory, requests, policy, compliance): a strong ETag of
/// the JSON body, and 304 Not Modified when the caller already holds it (RFC 9110 §13.1.2 If-None-Match), so a
/// portal polling every few seconds moves a header, not the inventory, while nothing changes. The body is still
/// computed; what is saved is the transfer and the browser's re-rendering.
/// </summary>
public static class ApiReadValidators
{
    /// <summary>Reads larger than this pass through untouched rather than being held in memory.</summary>
    public const int MaxBufferedBytes = 4 * 1024 * 1024;

    private static readonly string[] PolledPrefixes = ["/api/clusters", "/api/partition-requests"];

    public static IApplicationBuilder UseApiReadValidators(this IApplicationBuilder app)
        => app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) || !PolledPrefixes.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            {
                await next(context);
                return;
            }

            var original = context.Response.Body;
            using var buffer = new MemoryStream();
            context.Response.Body = buffer;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }

            var response = context.Response;
            if (response.StatusCode == StatusCodes.Status200OK && buffer.Length <= MaxBufferedBytes)
            {
                var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))[..32]}\"";
                response.Headers.ETag = etag;
                // Clients must ask again each time: inventory and requests change under them.
                response.Headers.CacheControl = "no-cache";
                if (request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Select(t => t.Trim()).Contains(etag, StringComparer.Ordinal)))
                {
                    response.StatusCode = StatusCodes.Status304NotModified;
                    response.ContentLength = null;
                    response.Headers.ContentType = default;
                    return;
                }
            }

            buffer.Position = 0;
            await buffer.CopyToAsync(original, context.RequestAborted);
        });
}
