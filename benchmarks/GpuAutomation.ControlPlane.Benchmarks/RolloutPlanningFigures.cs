using System.Diagnostics;
using System.Globalization;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Issue 19's planning figure: a rolling count change of 16 nodes × 4 GPUs × 16 partitions with 1,000 GPU VMs (goal
/// under 100 ms), beside a floor measured in the same run: the failover headroom passes over the same cluster a plan
/// must make anyway (one before, and one during and one after each stage), without the planning around them.
/// </summary>
internal static class RolloutPlanningFigures
{
    public static void Run(TextWriter output, int rounds)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (vms, target, moves) in new[] { (1000, 8, MovePolicy.LiveMigrate), (500, 8, MovePolicy.LiveMigrate), (1000, 8, MovePolicy.Never) })
        {
            var cluster = Cluster(16, 4, 16, vms, now);
            var request = new RolloutPlanRequest(cluster.Cluster, target, 1, moves);
            RolloutPlan? plan = null;
            var planning = Measure(rounds, () => plan = RolloutPlanner.Plan("bench", request, cluster, ProvisioningPolicy.Default, now, TimeSpan.FromMinutes(15), RolloutEstimates.Default));
            var floor = Measure(rounds, () => FailoverHeadroom.Compute(cluster.Cluster, cluster.Nodes));
            var passes = (2 * plan!.Stages.Count) + 1;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"rollout plan 16 nodes x 4 GPUs x 16 -> {target}, {vms,4} VMs, moves {moves,-11}: median {planning.Median,7:N2} ms, p95 {planning.P95,7:N2} ms (goal < 100 ms); floor ({passes} headroom passes) {floor.Median * passes,6:N2} ms; ratio {planning.Median / (floor.Median * passes),5:N2}x; {plan.Stages.Count} stages, {plan.Stages.Sum(s => s.Steps.Count)} steps, {plan.LosingPartitions.Count} losing"));
        }
    }

    private static (double Median, double P95) Measure(int rounds, Action action)
    {
        for (var i = 0; i < 3; i++)
        {
            action();
        }

        var times = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], times[Math.Min(times.Count - 1, (int)(times.Count * 0.95))]);
    }

    private static ClusterInventory Cluster(int nodes, int gpusPerNode, int partitions, int vms, DateTimeOffset now)
    {
        var inventories = new List<NodeInventory>();
        var vm = 0;
        for (var n = 0; n < nodes; n++)
        {
            var name = $"node{n + 1:D2}";
            var gpus = new List<GpuInventory>();
            var list = new List<VmInventory>();
            for (var g = 0; g < gpusPerNode; g++)
            {
                var path = $"gpu-{name}-{g}";
                var holders = new List<GpuPartitionAssignment>();
                // VMs spread evenly over every GPU of the cluster.
                var share = (vms / (nodes * gpusPerNode)) + ((n * gpusPerNode) + g < vms % (nodes * gpusPerNode) ? 1 : 0);
                for (var i = 0; i < share; i++, vm++)
                {
                    var id = Guid.NewGuid();
                    holders.Add(new GpuPartitionAssignment(i, $"vm{vm:D4}", id, null));
                    list.Add(new VmInventory($"vm{vm:D4}", id, vm % 5 == 0 ? VmPowerState.Off : VmPowerState.Running, name, [new PartitionAdapter($"a{vm}", path, i, null)], true, OfflineAction.ForceShutdown, null));
                }

                gpus.Add(new GpuInventory(path, "PCI\\" + path, "NVIDIA", "A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], partitions, null, holders));
            }

            inventories.Add(new NodeInventory(name, now, new HostFacts("26100", true, true), gpus, list));
        }

        return new ClusterInventory("bench", inventories);
    }
}
