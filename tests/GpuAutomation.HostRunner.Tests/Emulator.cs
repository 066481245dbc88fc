using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests;

/// <summary>Builds emulated clusters for tests, with fast polling so waits are short.</summary>
internal static class Emulator
{
    public static readonly HyperVOptions Fast = new()
    {
        JobPollInterval = TimeSpan.FromMilliseconds(5),
        StatePollInterval = TimeSpan.FromMilliseconds(5),
        JobTimeout = TimeSpan.FromSeconds(5),
        StateTimeout = TimeSpan.FromSeconds(5),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    public static readonly Guid Vm1 = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000001");
    public static readonly Guid Vm2 = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000002");
    public static readonly Guid Vm3 = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000003");

    /// <summary>node1: two A2 at 4 partitions and one DDA A2; VMs vm1 (running, partition), vm2 (off), vm3 (off, no shutdown service). node2: one A2 at 2.</summary>
    public static EmulatedCluster Cluster(string? name = "cluster1", int jobDelayMs = 0, TimeProvider? time = null)
        => new(new ClusterDescription(
            name,
            [
                new NodeDescription(
                    "node1",
                    [new GpuDescription("NVIDIA A2", 4), new GpuDescription("NVIDIA A2", 4), new GpuDescription("NVIDIA A2", Dda: true)],
                    [
                        new VmDescription("vm1", Vm1, VmPowerState.Running, OfflineAction: OfflineAction.ForceShutdown, HasPartition: true),
                        new VmDescription("vm2", Vm2, VmPowerState.Off),
                        new VmDescription("vm3", Vm3, VmPowerState.Off, ShutdownIntegration: false, Clustered: false),
                    ]),
                new NodeDescription("node2", [new GpuDescription("NVIDIA A2", 2)], []),
            ],
            new EmulatorTiming(jobDelayMs)),
            time);

    public static HyperVHost Host(EmulatedCluster cluster, string node = "node1", HyperVOptions? options = null)
        => cluster.HostFor(node, options ?? Fast);

    public static string GpuPath(EmulatedCluster cluster, string node, int index) => cluster.Gpus(node)[index].InstancePath;
}
