using System.Security.Claims;
using System.Text.Json;

namespace GpuAutomation.Functions.Security;

/// <summary>Turns X-MS-CLIENT-PRINCIPAL into a <see cref="ClaimsPrincipal"/> whose roles are the caller's app roles.</summary>
public static class ClientPrincipalReader
{
    public const string HeaderName = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>Headers larger than this are refused before decoding (a token's claims fit easily).</summary>
    public const int MaxHeaderLength = 32 * 1024;

    /// <summary>Claim types Entra ID uses for app roles besides the principal's own role_typ.</summary>
    private static readonly string[] RoleClaimTypes = ["roles", "role", ClaimTypes.Role];

    /// <summary>Reads the header value; null with <paramref name="problem"/> when it is not a valid principal.</summary>
    public static ClaimsPrincipal? Read(string headerValue, string scheme, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(headerValue);
        problem = null;
        if (headerValue.Length > MaxHeaderLength)
        {
            problem = $"{HeaderName} is {headerValue.Length} characters; the limit is {MaxHeaderLength}.";
            return null;
        }

        ClientPrincipal? principal;
        try
        {
            var json = Convert.FromBase64String(headerValue.Trim());
            principal = JsonSerializer.Deserialize(json, SecurityJsonContext.Default.ClientPrincipal);
        }
        catch (FormatException)
        {
            problem = $"{HeaderName} is not base64.";
            return null;
        }
        catch (JsonException ex)
        {
            problem = $"{HeaderName} is not a client principal: {ex.Message}";
            return null;
        }

        if (principal?.Claims is not { } claims)
        {
            problem = $"{HeaderName} has no claims.";
            return null;
        }

        var nameType = principal.NameClaimType ?? ClaimTypes.Name;
        var roleType = principal.RoleClaimType ?? ClaimTypes.Role;
        var identity = new ClaimsIdentity(scheme, ClaimTypes.Name, ClaimTypes.Role);
        foreach (var claim in claims)
        {
            if (claim.Type is null || claim.Value is null)
            {
                continue;
            }

            if (claim.Type == roleType || RoleClaimTypes.Contains(claim.Type, StringComparer.Ordinal))
            {
                identity.AddClaim(new Claim(ClaimTypes.Role, claim.Value));
            }
            else if (claim.Type == nameType)
            {
                identity.AddClaim(new Claim(ClaimTypes.Name, claim.Value));
            }
            else
            {
                identity.AddClaim(new Claim(claim.Type, claim.Value));
            }
        }

        return new ClaimsPrincipal(identity);
    }
}
