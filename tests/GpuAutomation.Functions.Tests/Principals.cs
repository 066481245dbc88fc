using System.Text;
using System.Text.Json.Nodes;

namespace GpuAutomation.Functions.Tests;

/// <summary>X-MS-CLIENT-PRINCIPAL values as App Service Authentication sends them.</summary>
public static class Principals
{
    public const string Header = "X-MS-CLIENT-PRINCIPAL";

    public static string WithRoles(params string[] roles) => For("alice@contoso.com", "0b1c", roles);

    public static string For(string name, string objectId, params string[] roles)
    {
        var claims = new JsonArray
        {
            new JsonObject { ["typ"] = "name", ["val"] = name },
            new JsonObject { ["typ"] = "http://schemas.microsoft.com/identity/claims/objectidentifier", ["val"] = objectId },
        };
        foreach (var role in roles)
        {
            claims.Add(new JsonObject { ["typ"] = "roles", ["val"] = role });
        }

        var principal = new JsonObject
        {
            ["auth_typ"] = "aad",
            ["claims"] = claims,
            ["name_typ"] = "name",
            ["role_typ"] = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
        };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(principal.ToJsonString()));
    }

    public static string Reader => WithRoles("GpuAutomation.Reader");

    public static string Operator => WithRoles("GpuAutomation.Operator");
}
