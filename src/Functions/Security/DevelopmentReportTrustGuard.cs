using GpuAutomation.ControlPlane.Reports;
using Microsoft.AspNetCore.Hosting.Server;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// Development trust accepts every report for the registered node it claims, so it is only for a development machine:
/// the app refuses to start with it when an address it serves is not loopback (<see cref="LoopbackOnlyGuard"/>), or
/// when it runs on App Service / Azure Functions, where the handler itself listens on 127.0.0.1 behind the host, so the
/// address alone proves nothing. WEBSITE_INSTANCE_ID is set by the platform on every instance
/// (learn.microsoft.com/azure/app-service/reference-app-settings, "WEBSITE_INSTANCE_ID"; whether Flex Consumption sets
/// it too is not confirmed by a public source — WEBSITE_SITE_NAME is checked as well).
/// </summary>
public sealed partial class DevelopmentReportTrustGuard(IServer server, IConfiguration configuration, ILogger<DevelopmentReportTrustGuard> logger)
    : LoopbackOnlyGuard(server, configuration)
{
    public const string SettingName = $"{ReportAuthenticationOptions.SectionName}:{nameof(ReportAuthenticationOptions.DevelopmentTrust)}";

    /// <summary>Variables the platform sets on an App Service or Functions instance.</summary>
    public static readonly IReadOnlyList<string> PlatformVariables = ["WEBSITE_INSTANCE_ID", "WEBSITE_SITE_NAME"];

    protected override void BeforeBinding()
    {
        if (PlatformVariables.FirstOrDefault(v => !string.IsNullOrEmpty(Configuration[v])) is { } variable)
        {
            LogRefused(logger, SettingName, variable);
            throw new InvalidOperationException(
                $"{SettingName} is on while the app runs on App Service / Azure Functions ({variable} is set): host reports would "
                + $"be accepted from any sender for any node. Remove the setting and configure {ReportAuthenticationOptions.SectionName}:TenantId and :Audience.");
        }
    }

    protected override InvalidOperationException Refused(string exposed)
    {
        LogRefused(logger, SettingName, exposed);
        return new InvalidOperationException(
            $"{SettingName} is on, and the app would serve {exposed}, which is not a loopback address: "
            + "development trust accepts host reports without authenticating them, so it only ever runs on a development "
            + $"machine. Listen on 127.0.0.1, [::1] or localhost, or configure {ReportAuthenticationOptions.SectionName}:TenantId and :Audience instead.");
    }

    [LoggerMessage(EventId = 2203, Level = LogLevel.Critical, Message = "Start-up check failed: {Setting} is on where the app is not a development machine ({Where})")]
    private static partial void LogRefused(ILogger logger, string setting, string where);
}
