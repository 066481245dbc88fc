using Microsoft.AspNetCore.Hosting.Server;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// The development identity makes every header-less request an operator, so it may only ever be reachable from this
/// machine (see <see cref="LoopbackOnlyGuard"/>).
/// </summary>
public sealed partial class DevelopmentIdentityGuard(IServer server, IConfiguration configuration, ILogger<DevelopmentIdentityGuard> logger)
    : LoopbackOnlyGuard(server, configuration)
{
    private static readonly string SettingName = $"{SecurityOptions.Section}:{nameof(SecurityOptions.DevelopmentIdentity)}";

    protected override InvalidOperationException Refused(string exposed)
    {
        LogRefused(logger, SettingName, exposed);
        return new InvalidOperationException(
            $"{SettingName} is on, and the app would serve {exposed}, which is not a loopback address: the "
            + "development identity lets every caller without a principal act as an operator, so it only ever serves this "
            + "machine. Listen on 127.0.0.1, [::1] or localhost (e.g. --urls http://127.0.0.1:5080), or remove the setting.");
    }

    [LoggerMessage(EventId = 2202, Level = LogLevel.Critical, Message = "Start-up check failed: {Setting} is on and the app would serve non-loopback {Addresses}")]
    private static partial void LogRefused(ILogger logger, string setting, string addresses);
}
