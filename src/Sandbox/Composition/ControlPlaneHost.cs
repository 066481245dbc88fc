using System.Globalization;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;

namespace GpuAutomation.Sandbox.Composition;

/// <summary>The control plane app as the Sandbox runs it: local trigger mode, development identity, in-memory stores, the given bus.</summary>
public static class ControlPlaneHost
{
    public static WebApplication Create(SandboxOptions options, InMemoryMessageBus bus)
    {
        ArgumentNullException.ThrowIfNull(options);
        string[] args =
        [
            "--urls", string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.Port}"),
            // The Sandbox is one user on loopback: requests without a client principal act as a developer with both roles.
            "--GpuAutomation:Security:DevelopmentIdentity=true",
            "--Logging:LogLevel:Default=" + (options.Verbose ? "Information" : "Warning"),
            "--Logging:LogLevel:Microsoft.AspNetCore=Warning",
        ];
        return Functions.Program.CreateApp(args, builder =>
        {
            // The agents' bus: the app's command publisher and reports receiver use it instead of configuring one.
            builder.Services.AddSingleton<IMessageBus>(bus);
        });
    }
}
