using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// The development identity makes every header-less request an operator, so it may only ever be reachable from this
/// machine. Refuses to start when an address the app serves is not loopback: before binding, the addresses taken from
/// configuration (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints); after binding, the addresses the
/// server actually listens on (also catches endpoints a composing host configured in code).
/// </summary>
public sealed partial class DevelopmentIdentityGuard(IServer server, IConfiguration configuration, ILogger<DevelopmentIdentityGuard> logger)
    : IStartupFilter, IHostedLifecycleService
{
    private static readonly string SettingName = $"{SecurityOptions.Section}:{nameof(SecurityOptions.DevelopmentIdentity)}";

    /// <summary>Runs while the server's pipeline is built, after the configured addresses are known and before they are bound.</summary>
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
    {
        var configured = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var kestrelEndpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>();
        Refuse(configured.Concat(kestrelEndpoints));
        return next;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        Refuse(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// True for "localhost" and loopback IP literals. Wildcards (*, +, 0.0.0.0, [::]) and any other host name are not:
    /// Kestrel binds those on every interface (learn.microsoft.com/aspnet/core/fundamentals/servers/kestrel/endpoints).
    /// </summary>
    public static bool IsLoopback(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
        var authority = schemeEnd < 0 ? address : address[(schemeEnd + 3)..];
        var pathStart = authority.IndexOf('/', StringComparison.Ordinal);
        if (pathStart >= 0)
        {
            authority = authority[..pathStart];
        }

        string host;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? authority : authority[1..close];
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
        }

        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private void Refuse(IEnumerable<string> addresses)
    {
        var exposed = addresses.Where(a => !IsLoopback(a)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (exposed.Count == 0)
        {
            return;
        }

        var message =
            $"{SettingName} is on, and the app would serve {string.Join(", ", exposed)}, which is not a loopback address: the "
            + "development identity lets every caller without a principal act as an operator, so it only ever serves this "
            + "machine. Listen on 127.0.0.1, [::1] or localhost (e.g. --urls http://127.0.0.1:5080), or remove the setting.";
        LogRefused(logger, SettingName, string.Join(", ", exposed));
        throw new InvalidOperationException(message);
    }

    [LoggerMessage(EventId = 2202, Level = LogLevel.Critical, Message = "Start-up check failed: {Setting} is on and the app would serve non-loopback {Addresses}")]
    private static partial void LogRefused(ILogger logger, string setting, string addresses);
}
