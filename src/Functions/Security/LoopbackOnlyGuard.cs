using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace GpuAutomation.Functions.Security;

/// <summary>
/// Refuses to start when a development-only setting is on and an address the app serves is not loopback: before
/// binding, the addresses taken from configuration (--urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS, Kestrel:Endpoints);
/// after binding, the addresses the server actually listens on (also catches endpoints a composing host configured in
/// code). Each guard says what its setting would expose.
/// </summary>
public abstract class LoopbackOnlyGuard(IServer server, IConfiguration configuration) : IStartupFilter, IHostedLifecycleService
{
    protected IConfiguration Configuration => configuration;

    /// <summary>Runs while the server's pipeline is built, after the configured addresses are known and before they are bound.</summary>
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
    {
        BeforeBinding();
        var configured = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var kestrelEndpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>();
        RefuseExposed(configured.Concat(kestrelEndpoints));
        return next;
    }

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        RefuseExposed(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
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

    /// <summary>A further check before the addresses are bound; throws to refuse the start.</summary>
    protected virtual void BeforeBinding()
    {
    }

    /// <summary>The start-up error (logged by the guard) for serving <paramref name="exposed"/> with the setting on.</summary>
    protected abstract InvalidOperationException Refused(string exposed);

    private void RefuseExposed(IEnumerable<string> addresses)
    {
        var exposed = addresses.Where(a => !IsLoopback(a)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (exposed.Count > 0)
        {
            throw Refused(string.Join(", ", exposed));
        }
    }
}
