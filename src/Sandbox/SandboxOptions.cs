using System.Globalization;

namespace GpuAutomation.Sandbox;

/// <summary>The Sandbox's command line: <c>[--scenario] [--port 7071] [--cluster-file host.json] [--verbose]</c>.</summary>
/// <param name="Port">Where the control plane listens, on 127.0.0.1.</param>
/// <param name="Scenario">Play the scripted scenario, print its results and exit (0 when everything went as expected).</param>
/// <param name="ClusterFile">A host description file (see src/HostRunner/Simulation/Samples); the built-in 2-node cluster otherwise.</param>
/// <param name="Verbose">Show the control plane's and agents' log lines instead of warnings only, and print every span (OpenTelemetry console exporter).</param>
public sealed record SandboxOptions(int Port = SandboxOptions.DefaultPort, bool Scenario = false, string? ClusterFile = null, bool Verbose = false)
{
    public const int DefaultPort = 7071;

    public const string Usage = """
        Usage: dotnet run --project src/Sandbox -- [options]
          --scenario            play the scripted scenario with progress and result tables, then exit (0 = all as expected)
          --port <n>            control plane port on 127.0.0.1 (default 7071; 0 picks a free one)
          --cluster-file <f>    simulated cluster description (default: built-in 2 nodes x 2 NVIDIA A2)
          --verbose             show the control plane's and agents' logs and traced spans
          --help                this text
        """;

    /// <summary>Reads the arguments; returns null with <paramref name="problem"/> set when they can't be used.</summary>
    public static SandboxOptions? Parse(IReadOnlyList<string> args, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(args);
        problem = null;
        var options = new SandboxOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? Value()
            {
                if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return args[++i];
                }

                return null;
            }

            switch (arg.ToLowerInvariant())
            {
                case "--scenario":
                    options = options with { Scenario = true };
                    break;
                case "--verbose":
                    options = options with { Verbose = true };
                    break;
                case "--port":
                    var portText = Value();
                    if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                    {
                        problem = $"--port '{portText}' is not a port number (0 to 65535).";
                        return null;
                    }

                    options = options with { Port = port };
                    break;
                case "--cluster-file":
                    var file = Value();
                    if (file is null || !File.Exists(file))
                    {
                        problem = $"--cluster-file '{file}' does not exist.";
                        return null;
                    }

                    options = options with { ClusterFile = Path.GetFullPath(file) };
                    break;
                default:
                    problem = $"Unknown argument '{arg}'.";
                    return null;
            }
        }

        return options;
    }
}
