using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cim.Mi;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// The operator commands run before the agent is installed: <c>check</c> (read-only). Options: <c>--journal
/// &lt;folder&gt;</c>, and <c>--simulate &lt;file&gt; --node &lt;name&gt;</c> to run over the emulator instead of this
/// machine's Hyper-V. Exit codes: 0 all rows pass or warn, 1 a row failed, 2 the command could not run.
/// </summary>
public static class ToolCommand
{
    public const string Check = "check";

    /// <summary>Whether <paramref name="args"/> name a tool command rather than the agent.</summary>
    public static bool Handles(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Count > 0 && string.Equals(args[0], Check, StringComparison.OrdinalIgnoreCase);
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                await errors.WriteLineAsync($"Usage: HostRunner check [--journal <folder>] [--simulate <file> --node <name>]; '{args[i]}' is not understood.");
                return 2;
            }

            options[args[i][2..]] = args[i + 1];
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
            var rows = await new NodeCheck(new HyperVHost(node, cim, nvidiaSmi: nvidiaSmi), options.GetValueOrDefault("journal")).RunAsync(cancellationToken);
            await output.WriteAsync(NodeCheck.Format(rows));
            return NodeCheck.ExitCode(rows);
        }
        finally
        {
            (cim as IDisposable)?.Dispose();
        }
    }
}
