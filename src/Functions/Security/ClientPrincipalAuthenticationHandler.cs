using System.Security.Claims;
using System.Text.Encodings.Web;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// Authenticates the caller App Service Authentication put in X-MS-CLIENT-PRINCIPAL, and answers challenges (401)
/// and forbidden (403) as problem+json with a stable code.
/// </summary>
public sealed class ClientPrincipalAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    IOptions<SecurityOptions> securityOptions,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AppServiceAuthentication";

    public const string DevelopmentUserName = "developer (development identity)";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers[ClientPrincipalReader.HeaderName].ToString();
        if (header.Length == 0)
        {
            if (securityOptions.Value.DevelopmentIdentity)
            {
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(DevelopmentPrincipal(), SchemeName)));
            }

            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var principal = ClientPrincipalReader.Read(header, SchemeName, out var problem);
        return Task.FromResult(principal is null
            ? AuthenticateResult.Fail(problem!)
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var detail = result.Failure?.Message
            ?? $"No caller: the request has no {ClientPrincipalReader.HeaderName} header (App Service Authentication must be enabled in front of the API).";
        await ApiProblems.Create(StatusCodes.Status401Unauthorized, ApiErrorCodes.Unauthenticated, "Unauthenticated", detail).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var endpoint = Context.GetEndpoint();
        var needsOperator = endpoint?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Any(a => a.Policy == ApiPolicies.Operator) ?? false;
        var roles = needsOperator ? string.Join(" or ", ApiPolicies.OperatorRoles) : string.Join(" or ", ApiPolicies.ReaderRoles);
        var caller = Context.User.Identity?.Name ?? "the caller";
        return ApiProblems.Create(
            StatusCodes.Status403Forbidden,
            ApiErrorCodes.Forbidden,
            "Forbidden",
            $"{Request.Method} {Request.Path} needs the app role {roles}; {caller} has {RolesOf(Context.User)}.").ExecuteAsync(Context);
    }

    private static string RolesOf(ClaimsPrincipal user)
    {
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList();
        return roles.Count == 0 ? "no app role" : string.Join(", ", roles);
    }

    private static ClaimsPrincipal DevelopmentPrincipal()
        => new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, DevelopmentUserName),
                new Claim(ClaimTypes.Role, AppSettingNames.ReaderRole),
                new Claim(ClaimTypes.Role, AppSettingNames.OperatorRole),
            ],
            SchemeName,
            ClaimTypes.Name,
            ClaimTypes.Role));
}
