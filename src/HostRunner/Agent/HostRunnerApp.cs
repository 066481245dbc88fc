using Azure.Identity;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cim.Mi;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.Diagnostics;
using GpuAutomation.HostRunner.Reporting;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using GpuAutomation.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Agent;

/// <summary>Builds the agent's process: configuration, validation, bus, CIM client (MI or --simulate's emulator), Windows service or console.</summary>
public static class HostRunnerApp
{
    public const string EnvironmentPrefix = "HOSTRUNNER_";

    /// <exception cref="HostRunnerConfigurationException">The settings are invalid; the message lists every problem.</exception>
    public static IHost Build(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["--node"] = "Node",
            ["--cluster"] = "Cluster",
            ["--bus"] = "Bus",
            ["--journal"] = "JournalFolder",
            ["--simulate"] = "Simulate",
            ["--simulate-state"] = "SimulateState",
            ["--ensure-gpu-vm-settings"] = "EnsureGpuVmSettings",
        });
        var options = HostRunnerOptions.From(builder.Configuration);
        builder.Services.AddWindowsService(o => o.ServiceName = "GpuAutomation HostRunner");
        HostRunnerEventLog.Configure(builder);
        // Leave the command in progress its grace period before the host gives up on stopping.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.StopGracePeriod + TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IMessageBus>(sp => CreateBus(options, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(sp => CreateCimClient(options));
        builder.Services.AddSingleton(sp => new HostRunnerAgent(
            options,
            sp.GetRequiredService<IMessageBus>(),
            sp.GetRequiredService<ICimClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            reportTokens: options.ReportAudience is { } audience
                ? new ReportTokenSource(ManagedIdentity(options), audience, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ReportTokenSource>>())
                : null,
            nvidiaSmi: CreateNvidiaSmi(options)));
        builder.Services.AddHostedService<AgentService>();
        AddTelemetry(builder, options);
        return builder.Build();
    }

    public const string TelemetryServiceName = "gpu-automation-host-runner";

    /// <summary>
    /// Spans and metrics as the Telemetry section says (HOSTRUNNER_Telemetry__Exporter = AzureMonitor with
    /// __AzureMonitorConnectionString, or Otlp with __OtlpEndpoint; __SamplingRatio; __SpanFile): Application Insights is
    /// reached with the Arc machine's managed identity, as the bus is. Nothing is exported unless configured.
    /// </summary>
    private static void AddTelemetry(HostApplicationBuilder builder, HostRunnerOptions options)
    {
        TelemetryOptions telemetry;
        try
        {
            telemetry = TelemetryOptions.From(builder.Configuration.GetSection("Telemetry"));
        }
        catch (ArgumentException e)
        {
            throw new HostRunnerConfigurationException([e.Message]);
        }

        builder.Services.AddGpuAutomationTelemetry(TelemetryServiceName, telemetry, () => ManagedIdentity(options));
    }

    /// <summary>
    /// The bus the options name, through the one factory both hosts use: a Service Bus namespace or connection string
    /// goes through the official SDK (with its SAS key, or else the Arc machine's managed identity), amqp:// through
    /// the AMQP 1.0 adapter.
    /// </summary>
    /// <param name="busOptions">Retry tuning; null takes the bus's defaults (the service's). <c>check</c> retries faster so a refusal shows within its time box.</param>
    public static IMessageBus CreateBus(HostRunnerOptions options, ILoggerFactory loggers, MessageBusOptions? busOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Only used when the setting carries no key; creating it contacts nothing.
        return MessageBusFactory.Create(options.Bus, busOptions, credential: ManagedIdentity(options), loggerFactory: loggers);
    }

    /// <summary>The node's managed identity: on an Arc-enabled server, the Arc agent's local token endpoint (no secret on the host).</summary>
    public static ManagedIdentityCredential ManagedIdentity(HostRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ManagedIdentityCredential(options.ManagedIdentityClientId is { } id ? ManagedIdentityId.FromUserAssignedClientId(id) : ManagedIdentityId.SystemAssigned);
    }

    /// <summary>
    /// nvidia-smi as the inventory reads it: the emulated tool of the described node with --simulate (from the
    /// description, which the shared state file does not change), otherwise the real tool where it is installed.
    /// </summary>
    public static INvidiaSmi? CreateNvidiaSmi(HostRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Simulate is null ? new NvidiaSmiProcess() : EmulatedCluster.Load(options.Simulate).NvidiaSmiFor(options.Node);
    }

    /// <summary>The emulator over the description file with --simulate (its state shared through a file with the other nodes' processes), otherwise MI on this machine.</summary>
    public static ICimClient CreateCimClient(HostRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Simulate is null)
        {
            return OperatingSystem.IsWindows()
                ? new MiCimClient(new MiCimClientOptions())
                : throw new HostRunnerConfigurationException(["Hyper-V is reached through MI, which only exists on Windows: use --simulate <host description file> on this platform."]);
        }

        var cluster = EmulatedCluster.Load(options.Simulate);
        if (!cluster.Nodes.Contains(options.Node, StringComparer.OrdinalIgnoreCase))
        {
            throw new HostRunnerConfigurationException([$"Simulate: node '{options.Node}' is not in {options.Simulate}; it describes {string.Join(", ", cluster.Nodes)}."]);
        }

        return new SharedStateCimClient(cluster, options.Node, options.EffectiveSimulateState!);
    }
}
