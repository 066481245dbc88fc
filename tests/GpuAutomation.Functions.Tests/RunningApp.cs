using System.Net;
using System.Net.Sockets;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>The real app (Program.CreateApp) on real Kestrel at 127.0.0.1 on a free port, with test ports registered.</summary>
public sealed class RunningApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningApp(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts like the Functions host starts it (FUNCTIONS_CUSTOMHANDLER_PORT set) or in local trigger mode.</summary>
    public static async Task<RunningApp> StartAsync(
        HostingMode mode,
        Action<IServiceCollection>? services = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var args = new List<string>();
        if (mode == HostingMode.FunctionsHost)
        {
            args.Add($"--{CustomHandlerEnvironment.Port}={port}");

            // What App Service injects when authentication is on, as infra/ deploys it; a test may override it.
            if (settings?.ContainsKey(PlatformAuthentication.EnabledVariable) != true)
            {
                args.Add($"--{PlatformAuthentication.EnabledVariable}=True");
            }
        }
        else
        {
            args.Add($"--urls=http://127.0.0.1:{port}");
        }

        // Reports are trusted by the node they claim unless the test configures authentication (it listens on loopback).
        if (settings?.Keys.Any(k => k.StartsWith("GpuAutomation:ReportAuthentication:", StringComparison.Ordinal)) != true)
        {
            args.Add("--GpuAutomation:ReportAuthentication:DevelopmentTrust=true");
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            args.Add($"--{key}={value}");
        }

        var app = Program.CreateApp([.. args], builder => services?.Invoke(builder.Services));
        await app.StartAsync();
        return new RunningApp(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
