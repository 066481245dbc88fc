using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;

/// <summary>
/// Issue 18's compliance figure: the evaluation of every compliance rule (the failover headroom and the policy's
/// reserve included) over 1,000 nodes × 4 GPUs (goal ≤ 1 s of CPU), beside two floors measured in the same run over
/// the same inventory: one walk that touches every GPU and VM once (the least any scan must do), and serializing the
/// inventory once (what reading it from the store costs at least). Two layouts: 63 clusters of up to 16 nodes (Azure
/// Local's maximum cluster size) and one cluster of 1,000 nodes (the worst case for anything quadratic in nodes).
/// CPU time is the process's (Process.TotalProcessorTime), so a collection the scan causes counts too.
/// </summary>
internal static class ComplianceScanFigures
{
    private const int GpusPerNode = 4;
    private const int PartitionsPerGpu = 16;

    public static void Run(TextWriter output, int rounds)
    {
        var now = DateTimeOffset.UtcNow;
        var policy = new ProvisioningPolicy(
            [
                new ProvisioningRule("tagged", AzureTags: new Dictionary<string, string> { ["gpu"] = "*" }),
                new ProvisioningRule("by-name", NamePattern: "gpu-*"),
                new ProvisioningRule("by-notes", NotesMarker: "[gpu-p]"),
            ],
            Reserve: ReserveMode.NPlusOne);
        foreach (var (layout, clusters) in new[] { ("63 clusters of <= 16 nodes", Fleet(1000, 16, now)), ("1 cluster of 1,000 nodes", Fleet(1000, 1000, now)) })
        {
            var nodes = clusters.Sum(c => c.Count);
            var vms = clusters.Sum(c => c.Sum(n => n.Vms.Count));
            var holders = clusters.Sum(c => c.Sum(n => n.Vms.Count(v => v.HasPartition)));
            IReadOnlyList<ComplianceFinding> findings = [];
            var scan = Measure(rounds, () => findings = [.. clusters.SelectMany(c => ComplianceEvaluator.Evaluate(c, policy, now))]);
            var byRule = string.Join(", ", findings.GroupBy(f => f.Rule).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count():N0}")));
            var walked = 0L;
            var walk = Measure(rounds, () => walked = clusters.Sum(c => c.Sum(Walk)));
            var bytes = 0L;
            var serialize = Measure(rounds, () => bytes = clusters.Sum(c => c.Sum(n => (long)JsonSerializer.SerializeToUtf8Bytes(n, ControlPlaneJsonContext.Default.NodeInventory).Length)));
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"compliance scan, {layout} ({nodes:N0} nodes x {GpusPerNode} GPUs x {PartitionsPerGpu}, {vms:N0} VMs, {holders:N0} with a partition, reserve n+1): CPU median {scan.Median,7:N1} ms, max {scan.Max,7:N1} ms (goal <= 1,000 ms); {findings.Count:N0} findings: {byRule}"));
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  floors: one walk over every GPU and VM {walk.Median,6:N1} ms CPU (ratio {scan.Median / walk.Median,6:N1}x); serializing the inventory once ({bytes / 1024.0 / 1024.0:N0} MiB JSON) {serialize.Median,6:N1} ms CPU (ratio {scan.Median / serialize.Median,5:N2}x)"));
            GC.KeepAlive(walked);
        }
    }

    /// <summary>CPU time of <paramref name="action"/> over <paramref name="rounds"/> runs after two unmeasured ones (JIT, caches).</summary>
    private static (double Median, double Max) Measure(int rounds, Action action)
    {
        action();
        action();
        var times = new List<double>(rounds);
        using var process = Process.GetCurrentProcess();
        for (var i = 0; i < rounds; i++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            action();
            process.Refresh();
            times.Add((process.TotalProcessorTime - before).TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], times[^1]);
    }

    /// <summary>Touches every GPU, partition and VM once: what any check over the inventory must at least read.</summary>
    private static long Walk(NodeInventory node)
    {
        long sum = node.Node.Length;
        foreach (var gpu in node.Gpus)
        {
            sum += gpu.FreePartitions + gpu.Partitions.Count + gpu.Model.Length;
        }

        foreach (var vm in node.Vms)
        {
            sum += vm.Name.Length + vm.PartitionAdapters.Count + (vm.OfflineAction is OfflineAction.ForceShutdown ? 1 : 0) + (vm.Notes?.Length ?? 0);
        }

        return sum;
    }

    /// <summary>
    /// <paramref name="nodes"/> nodes in clusters of at most <paramref name="clusterSize"/>, every GPU an A2 with 16
    /// partitions. Per node at least 60 VMs: 40 to 60 of its 64 partitions held, 60 to 64 in every fourth group of 16
    /// nodes (so, in clusters of 16, some clusters can't restart a lost node's GPU VMs and most can); a few VMs with
    /// drift a scan reports (OfflineAction Save, selected by policy but without a partition), and one node in 50 silent
    /// for an hour.
    /// </summary>
    private static List<List<NodeInventory>> Fleet(int nodes, int clusterSize, DateTimeOffset now)
    {
        var clusters = new List<List<NodeInventory>>();
        var random = new Random(18);
        for (var n = 0; n < nodes; n++)
        {
            if (n % clusterSize == 0)
            {
                clusters.Add([]);
            }

            var name = $"node{n:D4}";
                        var held = n / 16 % 4 == 0 ? 60 + random.Next(5) : 40 + random.Next(21);
            var gpus = new List<GpuInventory>();
            var vms = new List<VmInventory>();
            for (var g = 0; g < GpusPerNode; g++)
            {
                var path = $@"PCI\VEN_10DE&DEV_25B6\{name}&{g:X4}";
                var assignments = new List<GpuPartitionAssignment>();
                for (var p = 0; p < PartitionsPerGpu && (g * PartitionsPerGpu) + p < held; p++)
                {
                    var vmName = $"gpu-{name}-{vms.Count:D2}";
                    var id = Guid.NewGuid();
                    assignments.Add(new GpuPartitionAssignment(p, vmName, id, null));
                    var drifted = random.Next(100) == 0;
                    vms.Add(new VmInventory(vmName, id, VmPowerState.Running, name, [new PartitionAdapter($"adapter-{vmName}", path, p, null)], IsClustered: true, drifted ? OfflineAction.Save : OfflineAction.ForceShutdown, $"owner: team-{random.Next(40)}; [gpu-p] requested by pipeline run {random.Next(100000)}"));
                }

                gpus.Add(new GpuInventory(path, path, "NVIDIA", "A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2, 1], PartitionsPerGpu, null, assignments, new GpuDriver("31.0.15.3699", "NVIDIA")));
            }

            while (vms.Count < 60)
            {
                var selected = random.Next(10) == 0;
                vms.Add(new VmInventory(selected ? $"gpu-{name}-{vms.Count:D2}" : $"app-{name}-{vms.Count:D2}", Guid.NewGuid(), VmPowerState.Running, name, [], IsClustered: true, OfflineAction.Save, $"owner: team-{random.Next(40)}"));
            }

            clusters[^1].Add(new NodeInventory(name, n % 50 == 7 ? now.AddHours(-1) : now.AddMinutes(-2), new HostFacts("26100.2033", true, true, IovSupport: true), gpus, vms));
        }

        return clusters;
    }
}
