using System.Security.Claims;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Portal;

/// <summary>
/// The operator portal at <c>/api/portal/</c>: one page and its hashed assets, served by the control plane itself, so
/// the browser calls the REST API on the same origin with the same identity (App Service Authentication's cookie in
/// Azure, the development identity in the Sandbox). Under the Functions host the path sits below the HTTP route
/// prefix "api", reached through the Portal function's catch-all route (FunctionApp/Portal/function.json).
/// </summary>
public static class PortalEndpoints
{
    public const string BasePath = "/api/portal";

    /// <summary>
    /// Strict policy: every script and style comes from this origin as a file (none inline, no eval), data only from
    /// the API on the same origin, no framing. https://www.w3.org/TR/CSP3/ ; checked by the portal's browser tests.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>App Service Authentication's sign-in endpoint for the Entra ID provider, back to the portal after.
    /// https://learn.microsoft.com/azure/app-service/configure-authentication-customize-sign-in-out</summary>
    public const string EasyAuthSignIn = "/.auth/login/aad?post_login_redirect_uri=/api/portal/";

    private const string ImmutableCaching = "public, max-age=31536000, immutable";

    private const string AssetsFolder = "assets/";

    /// <summary>Conditional reads for the API the portal polls, and the portal's own endpoints (anonymous: the page
    /// itself holds no data; every read it makes goes through the API's role checks).</summary>
    public static WebApplication UseOperatorPortal(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var catalog = PortalAssetCatalog.Load(typeof(PortalEndpoints).Assembly);
        var mode = app.Services.GetRequiredService<HostingModeAccessor>().Mode;
        app.UseApiReadValidators();

        // One catch-all route, the same the Portal function declares (portal/{*path}), so the handler and the function
        // folders list the same routes; the page, its assets and the caller endpoint are told apart here.
        app.MapGet(BasePath + "/{*path}", IResult (string? path, HttpContext context) => path switch
            {
                // Routing treats /api/portal and /api/portal/ alike; the page's relative asset links need the slash.
                null or "" => context.Request.Path.Value!.EndsWith('/') ? Serve(context, catalog.Page, "no-cache") : Results.Redirect(BasePath + "/"),
                "me" => TypedResults.Json(CallerOf(context.User, mode), PortalJsonContext.Default.PortalCaller),
                _ when path.StartsWith(AssetsFolder, StringComparison.Ordinal) && catalog.FindAsset(path[AssetsFolder.Length..]) is { } asset
                    => Serve(context, asset, ImmutableCaching),
                _ => Results.NotFound(),
            })
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, PortalAsset asset, string cacheControl)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = cacheControl;
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Any(v => v == asset.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static PortalCaller CallerOf(ClaimsPrincipal user, HostingMode mode)
    {
        var signIn = mode == HostingMode.FunctionsHost ? EasyAuthSignIn : null;
        if (user.Identity?.IsAuthenticated != true)
        {
            return new PortalCaller(false, null, [], false, false, signIn);
        }

        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        return new PortalCaller(
            true,
            user.Identity.Name,
            roles,
            roles.Any(r => r is AppSettingNames.ReaderRole or AppSettingNames.OperatorRole),
            roles.Contains(AppSettingNames.OperatorRole),
            signIn);
    }
}
