using System.Globalization;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// Whether App Service Authentication (Easy Auth) fronts this app, as the platform reports it. The API trusts
/// X-MS-CLIENT-PRINCIPAL only because Easy Auth strips it from external requests and sets it itself
/// (learn.microsoft.com/azure/app-service/configure-authentication-user-identities); without Easy Auth any caller could
/// forge it (audit fidelity-azure 5.3, problem 6).
/// </summary>
public static class PlatformAuthentication
{
    /// <summary>
    /// "Read-only. Injected into a Windows or Linux app to indicate whether App Service authentication is enabled"
    /// (learn.microsoft.com/azure/app-service/reference-app-settings, Authentication section). The Functions host reads
    /// the same variable for its own Easy Auth handling (azure-functions-host EnvironmentSettingNames.EasyAuthEnabled,
    /// HostEasyAuthOptionsSetup). No public source says whether Flex Consumption injects it: infra/README.md lists how
    /// to check on a deployment. A custom handler process inherits the host's environment.
    /// </summary>
    public const string EnabledVariable = "WEBSITE_AUTH_ENABLED";

    /// <summary>The problem+json code of an API request refused because platform authentication is off.</summary>
    public const string DisabledCode = "platform-authentication-disabled";

    public static string DisabledDetail =>
        $"App Service Authentication is not enabled for this app ({EnabledVariable} is not 'True'), so the caller in "
        + $"{ClientPrincipalReader.HeaderName} can't be trusted and the API (/api/*) is refused. Enable authentication "
        + "(infra/modules/functionApp.bicep deploys authsettingsV2 with platform.enabled) and restart the app.";

    /// <summary>Parsed as the Functions host parses it: a boolean, or an integer where non-zero means on.</summary>
    public static bool IsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[EnabledVariable];
        if (bool.TryParse(value, out var enabled))
        {
            return enabled;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number != 0;
    }
}
