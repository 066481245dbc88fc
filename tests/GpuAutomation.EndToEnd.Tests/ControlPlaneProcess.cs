using System.Globalization;
using GpuAutomation.EndToEnd.Tests.Processes;
using GpuAutomation.Sandbox.Scenario;
using GpuAutomation.Testing;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// The Functions app in local trigger mode as its own process, on Azurite (tables with a per-run prefix) and
/// RabbitMQ, with the development identity. Shared by the tests of a class; each test uses its own cluster.
/// </summary>
public class ControlPlaneProcess : IAsyncLifetime
{
    private TestProcess? _process;
    private HttpClient? _http;

    /// <summary>Short and unique per run: cluster, VM and table names carry it, so runs never see each other's data.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..6];

    public Uri BaseAddress { get; private set; } = null!;

    public ControlPlaneClient Api { get; private set; } = null!;

    public static string Bus => TestServices.AmqpAddress.ToString();

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
        var settings = new Dictionary<string, string>
        {
            ["GpuAutomation__Tables__ConnectionString"] = TestServices.AzuriteTablesConnectionString,
            ["GpuAutomation__Bus__ConnectionString"] = Bus,
            ["GpuAutomation__Security__DevelopmentIdentity"] = "true",

            // The simulated agents send no tokens (no Arc identity here); loopback only, as development trust requires.
            ["GpuAutomation__ReportAuthentication__DevelopmentTrust"] = "true",
            ["GpuAutomation__ControlPlane__TablePrefix"] = "e2e" + RunId,
            // Rollouts advance on the outbox timer: every 2 s here rather than every minute.
            ["GpuAutomation__Local__OutboxSweepInterval"] = "00:00:02",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };

        // Reports count only from registered nodes (issue 16): the clusters ClusterLifecycleTests describes
        // (e2e-<run>-a..e and -m, node1 and node2), as a deployment's configuration lists its nodes.
        foreach (var suffix in new[] { "a", "b", "c", "d", "e", "m", "q", "p" })
        {
            foreach (var node in new[] { "node1", "node2" })
            {
                settings[$"GpuAutomation__Nodes__e2e-{RunId}-{suffix}__{node}__PrincipalId"] = Guid.NewGuid().ToString();
            }
        }

        foreach (var (name, value) in ExtraSettings())
        {
            settings[name] = value;
        }

        _process = TestProcess.Start("control plane", BuiltApps.Functions, ["--urls", BaseAddress.ToString().TrimEnd('/')], settings);
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Api = new ControlPlaneClient(_http);
        await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    return (await Api.GetAsync("api/health", CancellationToken.None)).IsSuccess ? true : (bool?)null;
                }
                catch (HttpRequestException)
                {
                    return _process.HasExited ? throw new InvalidOperationException($"The control plane exited with {_process.ExitCode}.{Environment.NewLine}{_process.Describe()}") : null;
                }
            },
            TimeSpan.FromSeconds(60),
            () => "the control plane to answer /api/health" + Environment.NewLine + _process.Describe());
    }

    public string Describe() => _process?.Describe() ?? string.Empty;

    /// <summary>Settings a derived fixture adds to the process's environment (e.g. telemetry only its tests want).</summary>
    protected virtual IEnumerable<(string Name, string Value)> ExtraSettings() => [];

    public virtual async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
