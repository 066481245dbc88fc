using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>
/// Builds the <see cref="ReportAuthenticator"/> when the host starts, so missing settings stop the start rather than
/// the first report, and says which trust is in force: development trust is a warning operators can filter on.
/// </summary>
internal sealed partial class ReportAuthenticationStartup(ReportAuthenticator authenticator, ILogger<ReportAuthenticationStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (authenticator.IsDevelopmentTrust)
        {
            LogDevelopmentTrust(logger, ReportAuthenticationOptions.SectionName);
        }
        else
        {
            LogValidating(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3311, Level = LogLevel.Warning, Message = "Development trust ({Section}:DevelopmentTrust): host reports are NOT authenticated; any sender may report for any registered node. Never use this outside a development machine.")]
    private static partial void LogDevelopmentTrust(ILogger logger, string section);

    [LoggerMessage(EventId = 3312, Level = LogLevel.Information, Message = "Host reports are authenticated: each must carry its node's managed identity token")]
    private static partial void LogValidating(ILogger logger);
}
