using GpuAutomation.Functions.Hosting;
using Microsoft.AspNetCore.Authentication;

namespace GpuAutomation.Functions.Security;

public static class SecurityRegistration
{
    /// <summary>
    /// Callers from X-MS-CLIENT-PRINCIPAL and the two role policies. The development identity (GpuAutomation:Security:
    /// DevelopmentIdentity) is honoured only in local mode and on loopback addresses; under the Functions host the app
    /// refuses to start with it. Under the Functions host without platform authentication (WEBSITE_AUTH_ENABLED), the
    /// API is refused (<see cref="PlatformAuthenticationGate"/>).
    /// </summary>
    public static IServiceCollection AddApiSecurity(this IServiceCollection services, IConfiguration configuration, HostingMode mode)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section);
        if (mode == HostingMode.FunctionsHost && configuration.GetValue<bool>($"{SecurityOptions.Section}:{nameof(SecurityOptions.DevelopmentIdentity)}"))
        {
            throw new InvalidOperationException(
                $"{SecurityOptions.Section}:{nameof(SecurityOptions.DevelopmentIdentity)} is set while the Functions host runs the app; "
                + "the development identity would let every caller act as an operator. Remove the setting.");
        }

        if (mode == HostingMode.FunctionsHost && !PlatformAuthentication.IsEnabled(configuration))
        {
            services.AddSingleton<IStartupFilter, PlatformAuthenticationGate>();
        }

        if (configuration.GetValue<bool>($"{SecurityOptions.Section}:{nameof(SecurityOptions.DevelopmentIdentity)}"))
        {
            services.AddSingleton<DevelopmentIdentityGuard>();
            services.AddSingleton<IStartupFilter>(provider => provider.GetRequiredService<DevelopmentIdentityGuard>());
            services.AddHostedService(provider => provider.GetRequiredService<DevelopmentIdentityGuard>());
        }

        if (configuration.GetValue<bool>(DevelopmentReportTrustGuard.SettingName))
        {
            services.AddSingleton<DevelopmentReportTrustGuard>();
            services.AddSingleton<IStartupFilter>(provider => provider.GetRequiredService<DevelopmentReportTrustGuard>());
            services.AddHostedService(provider => provider.GetRequiredService<DevelopmentReportTrustGuard>());
        }

        services.AddAuthentication(ClientPrincipalAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ClientPrincipalAuthenticationHandler>(ClientPrincipalAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicies.Reader, policy => policy.RequireAuthenticatedUser().RequireRole(ApiPolicies.ReaderRoles))
            .AddPolicy(ApiPolicies.Operator, policy => policy.RequireAuthenticatedUser().RequireRole(ApiPolicies.OperatorRoles));
        return services;
    }
}
