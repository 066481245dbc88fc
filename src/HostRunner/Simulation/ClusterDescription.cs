namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// A simulated cluster (or, with no <see cref="Name"/>, standalone hosts) as written in a host description file.
/// Loaded by <see cref="EmulatedCluster.Parse"/>; see Samples/two-node-a2.json.
/// </summary>
public sealed record ClusterDescription(string? Name, IReadOnlyList<NodeDescription> Nodes, EmulatorTiming? Timing = null);
