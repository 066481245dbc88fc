using System.Globalization;
using GpuAutomation.HostRunner.Agent;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cim.Mi;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// The operator commands run before the agent is installed: <c>check</c> (read-only), <c>capture --out &lt;file&gt;
/// [--redact]</c> (read-only) and <c>canary --vm &lt;test VM&gt; [--allow-restart]</c> (assigns and unassigns one
/// partition). Common options: <c>--journal &lt;folder&gt;</c>, and <c>--simulate &lt;file&gt; --node &lt;name&gt;</c> to
/// run over the emulator instead of this machine's Hyper-V. <c>check</c> probes the bus with the service's own settings
/// (appsettings.json beside the program, HOSTRUNNER_Bus / _Cluster / _Node / _ManagedIdentityClientId), which
/// <c>--bus</c>, <c>--cluster</c> and <c>--managed-identity-client-id</c> override; <c>--bus-timeout &lt;seconds&gt;</c>
/// bounds each probe (15 s by default). Exit codes: 0 success, 1 a check row, canary step or the
/// VM's state afterwards failed, 2 the command could not run (or the canary refused) and changed nothing.
/// </summary>
public static class ToolCommand
{
    public const string Check = "check";
    public const string Capture = "capture";
    public const string Canary = "canary";

    private const string Usage = """
        Usage: HostRunner check   [--journal <folder>] [--bus <setting> --cluster <name>] [--managed-identity-client-id <id>] [--bus-timeout <seconds>] [--simulate <file> --node <name>]
               HostRunner capture --out <file> [--redact] [--simulate <file> --node <name>]
               HostRunner canary  --vm <test VM> [--allow-restart] [--journal <folder>] [--simulate <file> --node <name>]
        """;

    private static readonly string[] Switches = ["redact", "allow-restart"];

    /// <summary>Whether <paramref name="args"/> name a tool command rather than the agent.</summary>
    public static bool Handles(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Count > 0 && (Is(args[0], Check) || Is(args[0], Capture) || Is(args[0], Canary));
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < args.Count; i++)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is not null && Switches.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                options[name] = "true";
                continue;
            }

            if (name is null || i + 1 >= args.Count)
            {
                await errors.WriteLineAsync($"'{args[i]}' is not understood.{Environment.NewLine}{Usage}");
                return 2;
            }

            options[name] = args[++i];
        }

        var command = args[0].ToLowerInvariant();
        var required = command switch
        {
            Capture => "out",
            Canary => "vm",
            _ => null,
        };
        if (required is not null && !options.ContainsKey(required))
        {
            await errors.WriteLineAsync($"{command} needs --{required}.{Environment.NewLine}{Usage}");
            return 2;
        }

        ICimClient cim;
        string node;
        INvidiaSmi? nvidiaSmi;
        if (options.TryGetValue("simulate", out var file))
        {
            if (!options.TryGetValue("node", out var simulated))
            {
                await errors.WriteLineAsync("--simulate needs --node <name>.");
                return 2;
            }

            var cluster = EmulatedCluster.Load(file);
            if (!cluster.Nodes.Contains(simulated, StringComparer.OrdinalIgnoreCase))
            {
                await errors.WriteLineAsync($"Node '{simulated}' is not in {file}; it describes {string.Join(", ", cluster.Nodes)}.");
                return 2;
            }

            cim = cluster.ClientFor(simulated);
            node = simulated;
            nvidiaSmi = cluster.NvidiaSmiFor(simulated);
        }
        else if (OperatingSystem.IsWindows())
        {
            cim = new MiCimClient(new MiCimClientOptions());
            node = Environment.MachineName;
            nvidiaSmi = new NvidiaSmiProcess();
        }
        else
        {
            await errors.WriteLineAsync("Hyper-V is reached through MI, which only exists on Windows: use --simulate <file> --node <name> here.");
            return 2;
        }

        try
        {
            var journal = options.GetValueOrDefault("journal");
            switch (command)
            {
                case Capture:
                    return await CaptureAsync(new HyperVHost(node, cim, nvidiaSmi: nvidiaSmi), options["out"], options.ContainsKey("redact"), output, errors, cancellationToken);
                case Canary:
                    var traced = new HyperVHost(node, new TracingCimClient(cim, output), nvidiaSmi: nvidiaSmi);
                    return await new PartitionCanary(traced, journal ?? Path.GetTempPath(), output).RunAsync(options["vm"], options.ContainsKey("allow-restart"), cancellationToken);
                default:
                    var bus = BusCheckFrom(options, node, out var busProblem);
                    if (busProblem is not null)
                    {
                        await errors.WriteLineAsync(busProblem);
                        return 2;
                    }

                    var rows = await new NodeCheck(new HyperVHost(node, cim, nvidiaSmi: nvidiaSmi), journal, bus).RunAsync(cancellationToken);
                    await output.WriteAsync(NodeCheck.Format(rows));
                    return NodeCheck.ExitCode(rows);
            }
        }
        finally
        {
            (cim as IDisposable)?.Dispose();
        }
    }

    private static async Task<int> CaptureAsync(HyperVHost host, string path, bool redact, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ClusterDescription description;
        try
        {
            description = await new HostCapture(host).ReadAsync(cancellationToken);
        }
        catch (CimException e)
        {
            await errors.WriteLineAsync($"capture: can't read this node: {e.Code}: {e.Message}");
            return 2;
        }

        if (redact)
        {
            description = new CaptureRedaction().Redact(description);
        }

        await File.WriteAllTextAsync(path, HostCapture.Serialize(description), cancellationToken);
        var node = description.Nodes[0];
        await output.WriteLineAsync($"capture: wrote {path}{(redact ? " (redacted)" : string.Empty)}: node {node.Name}, {node.Gpus.Count} partitionable GPU(s), {node.Vms.Count} VM(s), {node.Vms.Count(v => v.HasPartition)} with a GPU partition adapter. Load it with --simulate {path} --node {node.Name} or the Sandbox's --cluster-file.");
        return 0;
    }

    /// <summary>
    /// The bus rows' probe with the settings the service reads (its configuration sources, then this command's options),
    /// so the identity tested is the one the service will use; null when no Bus is configured.
    /// </summary>
    private static BusCheck? BusCheckFrom(IReadOnlyDictionary<string, string> options, string toolNode, out string? problem)
    {
        problem = null;
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables(HostRunnerApp.EnvironmentPrefix)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Bus"] = options.GetValueOrDefault("bus"),
                ["Cluster"] = options.GetValueOrDefault("cluster"),
                ["ManagedIdentityClientId"] = options.GetValueOrDefault("managed-identity-client-id"),
            }.Where(p => p.Value is not null))
            .Build();
        var setting = configuration["Bus"];
        if (string.IsNullOrWhiteSpace(setting))
        {
            return null;
        }

        var timeout = BusCheck.DefaultTimeout;
        if (options.TryGetValue("bus-timeout", out var text))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0)
            {
                problem = $"--bus-timeout '{text}' is not a positive number of seconds.";
                return null;
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        // The queue is named after the service's Node; a --simulate run checks the simulated node's.
        var node = options.ContainsKey("simulate") ? toolNode : configuration["Node"] is { Length: > 0 } configured ? configured : toolNode;
        var service = new HostRunnerOptions { Bus = setting, ManagedIdentityClientId = configuration["ManagedIdentityClientId"] is { Length: > 0 } id ? id : null };
        // The SDK retries even a refused token (10 tries); with the service's back-off (up to 10 s apart) a wrong key would
        // read as "no answer" at the time box, so check backs off within a fraction of it and the refusal itself shows.
        var retries = new MessageBusOptions { RetryDelay = TimeSpan.FromMilliseconds(50), MaxRetryDelay = TimeSpan.FromMilliseconds(Math.Max(50, timeout.TotalMilliseconds / 20)) };
        return new BusCheck(setting, () => HostRunnerApp.CreateBus(service, NullLoggerFactory.Instance, retries), configuration["Cluster"], node, timeout);
    }

    private static bool Is(string actual, string expected) => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
}
