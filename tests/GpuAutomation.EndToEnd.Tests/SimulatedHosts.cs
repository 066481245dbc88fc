using GpuAutomation.EndToEnd.Tests.Processes;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// One HostRunner process per node in <c>--simulate</c> mode over one description file: together one cluster on
/// the real broker. Each node keeps its journal folder across a kill and restart, as a real host keeps its disk.
/// </summary>
public sealed class SimulatedHosts : IAsyncDisposable
{
    private readonly Dictionary<string, TestProcess> _processes = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<TestProcess> _ended = [];
    private readonly string _folder;
    private readonly string _descriptionFile;

    private readonly Func<string, IReadOnlyDictionary<string, string>>? _extraEnvironment;

    private SimulatedHosts(string cluster, IReadOnlyList<string> nodes, string folder, string descriptionFile, Func<string, IReadOnlyDictionary<string, string>>? extraEnvironment)
    {
        _extraEnvironment = extraEnvironment;
        Cluster = cluster;
        Nodes = nodes;
        this._folder = folder;
        this._descriptionFile = descriptionFile;
    }

    public string Cluster { get; }

    public IReadOnlyList<string> Nodes { get; }

    /// <param name="description">A host description (see src/HostRunner/Simulation/Samples) whose name is the cluster.</param>
    /// <param name="extraEnvironment">More environment per node (e.g. a span file), beside the usual settings.</param>
    public static SimulatedHosts Start(string description, Func<string, IReadOnlyDictionary<string, string>>? extraEnvironment = null)
    {
        var parsed = EmulatedCluster.Parse(description);
        var folder = Path.Combine(Path.GetTempPath(), "gpu-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "cluster.json");
        File.WriteAllText(file, description);
        var hosts = new SimulatedHosts(parsed.Name!, parsed.Nodes, folder, file, extraEnvironment);
        foreach (var node in parsed.Nodes)
        {
            hosts.StartNode(node);
        }

        return hosts;
    }

    /// <summary>Kills a node's agent at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync(string node)
    {
        var process = _processes[node];
        await process.KillAsync();
        _processes.Remove(node);
        _ended.Add(process);
    }

    public void StartNode(string node)
    {
        var environment = new Dictionary<string, string>
        {
            // Changes (a new VM, drift) are seen within a second; waits on jobs and power states poll quickly.
            ["HOSTRUNNER_ChangePollInterval"] = "1",
            ["HOSTRUNNER_PollInterval"] = "0.05",
            ["HOSTRUNNER_InventoryInterval"] = "60",
            ["HOSTRUNNER_StopGracePeriod"] = "2",
        };
        foreach (var (name, value) in _extraEnvironment?.Invoke(node) ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        _processes[node] = TestProcess.Start(
            $"host runner {node}",
            BuiltApps.HostRunner,
            ["--node", node, "--cluster", Cluster, "--bus", ControlPlaneProcess.Bus, "--journal", Path.Combine(_folder, "journal-" + node), "--simulate", _descriptionFile],
            environment);
    }

    public string Describe() => string.Join(Environment.NewLine, _processes.Values.Concat(_ended).Select(p => p.Describe()));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values.Concat(_ended))
        {
            await process.DisposeAsync();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed process may still hold a journal file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
