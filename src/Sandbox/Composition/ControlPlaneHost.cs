using System.Globalization;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;

namespace GpuAutomation.Sandbox.Composition;

/// <summary>The control plane app as the Sandbox runs it: local trigger mode, development identity, in-memory stores, the given bus.</summary>
public static class ControlPlaneHost
{
    /// <param name="nodes">The simulated nodes, registered by name: the control plane takes reports only from registered nodes (issue 16, item 2).</param>
    public static WebApplication Create(SandboxOptions options, InMemoryMessageBus bus, string cluster, IReadOnlyList<string> nodes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nodes);
        string[] args =
        [
            // Explicit registration of the simulated nodes, as a deployment's configuration would list its nodes; the
            // principal ids are placeholders: the in-memory bus carries no tokens (development trust).
            .. nodes.Select(node => $"--GpuAutomation:Nodes:{cluster}:{node}:PrincipalId=sandbox-{node}"),
            "--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.Port}"),
            // The Sandbox is one user on loopback: requests without a client principal act as a developer with both roles.
            "--GpuAutomation:Security:DevelopmentIdentity=true",
            // The simulated agents carry no tokens: reports are trusted by the node they claim (logged as a warning at start).
            "--GpuAutomation:ReportAuthentication:DevelopmentTrust=true",
            // A demo doesn't wait a minute per rollout phase: the outbox timer (which also advances rollouts) runs every 2 s.
            "--GpuAutomation:Local:OutboxSweepInterval=00:00:02",
            "--Logging:LogLevel:Default=" + (options.Verbose ? "Information" : "Warning"),
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
            // Nothing leaves the Sandbox (not even with APPLICATIONINSIGHTS_CONNECTION_STRING in the shell); --verbose
            // prints every span, of the control plane and the agents alike (one process, one tracer provider).
            "--GpuAutomation:Telemetry:Exporter=" + (options.Verbose ? "Console" : "None"),
        ];
        return Functions.Program.CreateApp(args, builder =>
        {
            // The agents' bus: the app's command publisher and reports receiver use it instead of configuring one.
            builder.Services.AddSingleton<IMessageBus>(bus);
        });
    }
}
