using System.Globalization;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>
/// Compares a cluster's stored inventory with how GPU-P must be and with the cluster's policy. Pure: it reads
/// snapshots and returns findings; the scan decides what to store and which remediations to request.
/// </summary>
public static class ComplianceEvaluator
{
    /// <param name="nodes">The latest snapshot of every node of the cluster.</param>
    /// <param name="azureTags">The Azure tags of a VM by name, when known; rules that need tags skip VMs without them.</param>
    public static IReadOnlyList<ComplianceFinding> Evaluate(
        IReadOnlyList<NodeInventory> nodes,
        ProvisioningPolicy policy,
        DateTimeOffset now,
        Func<string, IReadOnlyDictionary<string, string>?>? azureTags = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(policy);
        var findings = new List<ComplianceFinding>();
        StaleNodes(nodes, policy, now, findings);
        Homogeneity(nodes, findings);
        foreach (var node in nodes)
        {
            Platform(node, findings);
            GpuHealth(node, findings);
        }

        Vms(nodes, policy, azureTags ?? (_ => null), findings);
        FailoverCapacity(nodes, findings);
        Reserve(nodes, policy, findings);
        return findings;
    }

    /// <summary>
    /// The policy's reserve, checked with admission's own computation (<see cref="ClusterReserve"/>) over the stored
    /// inventory alone: requests in flight are not counted, so a scan reports what the hosts last showed. A cluster
    /// gets below its reserve although admission keeps it: grants accepted under onReserveBreach warn, assignments made
    /// outside this product (Windows Admin Center, PowerShell), a reserve raised on a full cluster, a GPU or node gone
    /// from the inventory with its free partitions. Like admission, it counts free partitions on every GPU whatever
    /// its health, where <see cref="FailoverHeadroom"/> (failover-capacity-short) counts healthy GPUs only.
    /// </summary>
    private static void Reserve(IReadOnlyList<NodeInventory> nodes, ProvisioningPolicy policy, List<ComplianceFinding> findings)
    {
        if (policy.Reserve == ReserveMode.None
            || ClusterReserve.From(new ClusterInventory(string.Empty, nodes), [], []).Breach(policy.Reserve, policy.ReservePartitions) is not { } breach)
        {
            return;
        }

        var stranded = breach.Node is { } worst
            ? nodes.First(n => string.Equals(n.Node, worst, StringComparison.OrdinalIgnoreCase)).Vms.Where(vm => vm.IsClustered && vm.HasPartition).Select(vm => vm.Name).Order(StringComparer.OrdinalIgnoreCase).ToList()
            : [];
        var names = stranded.Count > 0 ? $" GPU VMs of {breach.Node}: {string.Join(", ", stranded)}." : string.Empty;
        findings.Add(new ComplianceFinding(
            ComplianceRules.ReserveBreached,
            policy.OnReserveBreach == ReserveBreachAction.Refuse ? FindingSeverity.Error : FindingSeverity.Warning,
            "cluster",
            breach.Message + names,
            new Remediation(RemediationKind.Manual, "Unassign partitions the cluster can spare, add GPUs or nodes, or lower the policy's reserve; until then admission refuses (or warns about) every assignment.", Automatic: false)));
    }

    /// <summary>A node whose loss would strand clustered GPU VMs (see <see cref="FailoverHeadroom"/>); one node has no failover to check.</summary>
    private static void FailoverCapacity(IReadOnlyList<NodeInventory> nodes, List<ComplianceFinding> findings)
    {
        if (nodes.Count < 2)
        {
            return;
        }

        foreach (var loss in FailoverHeadroom.Compute(string.Empty, nodes).Losses.Where(l => l.StrandsVms))
        {
            findings.Add(new ComplianceFinding(
                ComplianceRules.FailoverCapacityShort,
                FindingSeverity.Warning,
                $"node/{loss.Node}",
                string.Create(CultureInfo.InvariantCulture, $"If {loss.Node} fails, {loss.Short} of its {loss.GpuVms.Count} clustered GPU VMs ({string.Join(", ", loss.GpuVms)}) can't restart elsewhere: the other nodes have {loss.FreeElsewhere} free partitions of the models they use."),
                new Remediation(RemediationKind.Manual, $"Free partitions on the other nodes, add GPUs, or raise the partition count so {loss.Node}'s GPU VMs fit elsewhere.", Automatic: false, loss.Node)));
        }
    }

    private static void StaleNodes(IReadOnlyList<NodeInventory> nodes, ProvisioningPolicy policy, DateTimeOffset now, List<ComplianceFinding> findings)
    {
        var limit = TimeSpan.FromMinutes(policy.StaleInventoryAfterMinutes);
        foreach (var node in nodes.Where(n => now - n.TakenAt > limit))
        {
            var age = now - node.TakenAt;
            findings.Add(new ComplianceFinding(
                ComplianceRules.NodeInventoryStale,
                FindingSeverity.Warning,
                $"node/{node.Node}",
                $"Node {node.Node} last reported its inventory {Minutes(age)} minutes ago (limit {policy.StaleInventoryAfterMinutes}); its host runner may be down.",
                new Remediation(RemediationKind.Manual, $"Check the GpuAutomation HostRunner service on {node.Node}.", Automatic: false, node.Node)));
        }
    }

    /// <summary>
    /// Microsoft's homogeneity rule (gpu-partitioning, "GPU partitioning caveats": same make, model and size on every
    /// server, same partition count on every GPU) as errors; size is compared where nodes report it. Driver versions,
    /// outside that rule, differ as a warning (see PartitionRequestValidator).
    /// </summary>
    private static void Homogeneity(IReadOnlyList<NodeInventory> nodes, List<ComplianceFinding> findings)
    {
        var gpus = nodes
            .SelectMany(n => n.Gpus.Where(g => g.AssignedStatus is GpuAssignedStatus.Partitioned or GpuAssignedStatus.Paravirtualization)
                .Select(g => (Node: n.Node, Gpu: g)))
            .ToList();
        if (gpus.Count < 2)
        {
            return;
        }

        var kinds = gpus.GroupBy(x => GpuKind(x.Gpu), StringComparer.OrdinalIgnoreCase).ToList();
        var sizes = gpus.Where(x => x.Gpu.MemoryMiB is not null).GroupBy(x => x.Gpu.MemoryMiB!.Value).ToList();
        if (kinds.Count > 1 || sizes.Count > 1)
        {
            var variants = kinds.Count > 1
                ? string.Join("; ", kinds.Select(k => $"{k.Key} on {Nodes(k)}"))
                : string.Join("; ", sizes.Select(k => string.Create(CultureInfo.InvariantCulture, $"{kinds[0].Key} {k.Key} MiB on {Nodes(k)}")));
            findings.Add(new ComplianceFinding(
                ComplianceRules.ClusterNotHomogeneous,
                FindingSeverity.Error,
                "cluster",
                $"GPU-P needs the same GPU vendor, model and memory on every node; this cluster has {variants}.",
                new Remediation(RemediationKind.Manual, "Install the same GPU model in every node, or remove the odd GPUs from partitioning.", Automatic: false)));
            return;
        }

        var versions = gpus.Where(x => x.Gpu.Driver?.Version is not null).GroupBy(x => x.Gpu.Driver!.Version!, StringComparer.OrdinalIgnoreCase).ToList();
        if (versions.Count > 1)
        {
            findings.Add(new ComplianceFinding(
                ComplianceRules.GpuDriverVersionsDiffer,
                FindingSeverity.Warning,
                "cluster",
                $"The cluster's GPUs run different host driver versions: {string.Join("; ", versions.Select(v => $"{v.Key} on {Nodes(v)}"))}; a GPU VM restarted on another node may find a driver its guest driver doesn't match.",
                new Remediation(RemediationKind.Manual, "Install the same GPU host driver version on every node.", Automatic: false)));
        }

        var counts = gpus.GroupBy(x => x.Gpu.PartitionCount).OrderByDescending(g => g.Count()).ToList();
        if (counts.Count > 1)
        {
            var usual = counts[0].Key;
            var odd = counts.Skip(1).SelectMany(g => g).ToList();
            var variants = string.Join("; ", counts.Select(c => $"{c.Key} partitions on {c.Count()} GPU(s)"));
            findings.Add(new ComplianceFinding(
                ComplianceRules.ClusterNotHomogeneous,
                FindingSeverity.Error,
                "cluster",
                $"Every GPU of the cluster must have the same partition count; found {variants}.",
                new Remediation(
                    RemediationKind.SetPartitionCount,
                    $"Set partition count {usual} on {string.Join(", ", odd.Select(x => $"{x.Gpu.Model} on {x.Node}"))} once their partitions are free.",
                    Automatic: false)));
        }
    }

    private static string Nodes<TKey>(IGrouping<TKey, (string Node, GpuInventory Gpu)> group)
        => string.Join(", ", group.Select(x => x.Node).Distinct(StringComparer.Ordinal));

    /// <summary>What the node read about its platform: SR-IOV with DMA remapping (IOVSupport) and the OS prerequisites.</summary>
    private static void Platform(NodeInventory node, List<ComplianceFinding> findings)
    {
        var problems = new List<string>();
        if (node.Host.IovSupport == false)
        {
            var reasons = node.Host.IovSupportReasons is { Count: > 0 } r ? $" ({string.Join(" ", r)})" : string.Empty;
            problems.Add($"SR-IOV is not usable (IOVSupport false){reasons}.");
        }

        problems.AddRange(node.Host.GpuPPrerequisiteProblems ?? []);
        if (problems.Count > 0)
        {
            findings.Add(new ComplianceFinding(
                ComplianceRules.NodePlatformNotReady,
                FindingSeverity.Error,
                $"node/{node.Node}",
                $"Node {node.Node} can't run GPU-P: {string.Join(" ", problems)}",
                new Remediation(RemediationKind.Manual, $"Run HostRunner check on {node.Node} and fix the failed rows (firmware SR-IOV/IOMMU, OS edition and build).", Automatic: false, node.Node)));
        }
    }

    private static void GpuHealth(NodeInventory node, List<ComplianceFinding> findings)
    {
        foreach (var gpu in node.Gpus)
        {
            var resource = $"gpu/{node.Node}/{gpu.InstancePath}";
            if (!string.Equals(gpu.PnpStatus, "OK", StringComparison.OrdinalIgnoreCase) || gpu.PnpErrorCode != 0)
            {
                findings.Add(new ComplianceFinding(
                    ComplianceRules.GpuDeviceUnhealthy,
                    FindingSeverity.Error,
                    resource,
                    $"{gpu.Model} on {node.Node} reports device status {gpu.PnpStatus} (error code {gpu.PnpErrorCode}); the GPU driver needs attention.",
                    new Remediation(RemediationKind.Manual, $"Install or repair the GPU driver on {node.Node} (Get-PnpDevice -Class Display).", Automatic: false, node.Node)));
            }

            if (gpu.AssignedStatus is GpuAssignedStatus.Paravirtualization)
            {
                findings.Add(new ComplianceFinding(
                    ComplianceRules.GpuNotPartitioned,
                    FindingSeverity.Error,
                    resource,
                    $"{gpu.Model} on {node.Node} has the partitioning driver but SR-IOV is off, so its partitions can't be used.",
                    new Remediation(RemediationKind.Manual, $"Enable SR-IOV (and IOMMU) in the firmware of {node.Node}.", Automatic: false, node.Node)));
            }
            else if (gpu.AssignedStatus is GpuAssignedStatus.Partitioned && !gpu.ValidPartitionCounts.Contains(gpu.PartitionCount))
            {
                findings.Add(new ComplianceFinding(
                    ComplianceRules.PartitionCountInvalid,
                    FindingSeverity.Error,
                    resource,
                    $"{gpu.Model} on {node.Node} has partition count {gpu.PartitionCount}, which is not one of its valid counts {string.Join(", ", gpu.ValidPartitionCounts)}.",
                    new Remediation(RemediationKind.SetPartitionCount, $"Set one of {string.Join(", ", gpu.ValidPartitionCounts)} once its partitions are free.", Automatic: false, node.Node)));
            }
        }
    }

    private static void Vms(
        IReadOnlyList<NodeInventory> nodes,
        ProvisioningPolicy policy,
        Func<string, IReadOnlyDictionary<string, string>?> azureTags,
        List<ComplianceFinding> findings)
    {
        var gpuNode = nodes.SelectMany(n => n.Gpus.Select(g => (n.Node, g.InstancePath)))
            .GroupBy(x => x.InstancePath, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Node, StringComparer.OrdinalIgnoreCase);
        var remediation = policy.EffectiveRemediation;

        foreach (var node in nodes)
        {
            foreach (var vm in node.Vms)
            {
                var resource = $"vm/{vm.Name}";
                if (vm.HasPartition && vm.IsClustered && vm.OfflineAction != OfflineAction.ForceShutdown)
                {
                    findings.Add(new ComplianceFinding(
                        ComplianceRules.OfflineActionNotForcedShutdown,
                        FindingSeverity.Warning,
                        resource,
                        $"{vm.Name} on {node.Node} holds a GPU partition but its cluster OfflineAction is {vm.OfflineAction?.ToString() ?? "unknown"}; taking it offline would try to save a VM that can't be saved.",
                        new Remediation(RemediationKind.SetOfflineAction, $"Set OfflineAction ForceShutdown (3) on {vm.Name}.", remediation.FixOfflineAction, node.Node, vm.Name, vm.Id)));
                }

                if (vm.PartitionAdapters.Count > 1)
                {
                    findings.Add(new ComplianceFinding(
                        ComplianceRules.VmHasMultiplePartitions,
                        FindingSeverity.Error,
                        resource,
                        $"{vm.Name} on {node.Node} has {vm.PartitionAdapters.Count} GPU partition adapters; a VM may hold one.",
                        new Remediation(RemediationKind.Manual, $"Remove all but one adapter (Get-VMGpuPartitionAdapter -VMName '{vm.Name}').", Automatic: false, node.Node, vm.Name, vm.Id)));
                }

                foreach (var adapter in vm.PartitionAdapters)
                {
                    if (adapter.GpuInstancePath is { } path
                        && gpuNode.TryGetValue(path, out var owner)
                        && !string.Equals(owner, node.Node, StringComparison.OrdinalIgnoreCase))
                    {
                        findings.Add(new ComplianceFinding(
                            ComplianceRules.PartitionOnForeignNode,
                            FindingSeverity.Error,
                            resource,
                            $"{vm.Name} runs on {node.Node} but its partition belongs to a GPU of {owner}.",
                            new Remediation(RemediationKind.Manual, $"Move {vm.Name} back to {owner}, or unassign and assign its partition again.", Automatic: false, node.Node, vm.Name, vm.Id)));
                    }
                }

                var decision = PolicyMatcher.Decide(policy, new VmFacts(vm.Name, vm.Notes, azureTags(vm.Name)));
                if (decision is { IsSelected: true, Rule.AssignPartition: true } && !vm.HasPartition)
                {
                    findings.Add(new ComplianceFinding(
                        ComplianceRules.PolicyVmWithoutPartition,
                        FindingSeverity.Warning,
                        resource,
                        $"Policy rule '{decision.Rule!.Name}' selects {vm.Name} on {node.Node}, which has no GPU partition.",
                        new Remediation(RemediationKind.AssignPartition, $"Assign a GPU partition to {vm.Name}.", remediation.AssignMissingPartitions, node.Node, vm.Name, vm.Id)));
                }
                else if (decision.Match == PolicyMatch.NotSelected && vm.HasPartition && policy.Rules.Count > 0)
                {
                    findings.Add(new ComplianceFinding(
                        ComplianceRules.PartitionNotSelectedByPolicy,
                        FindingSeverity.Info,
                        resource,
                        $"{vm.Name} on {node.Node} holds a GPU partition that no policy rule selects.",
                        new Remediation(RemediationKind.UnassignPartition, $"Unassign the partition of {vm.Name}, or add a rule selecting it.", remediation.RemoveUnselectedPartitions, node.Node, vm.Name, vm.Id)));
                }
            }
        }
    }

    private static string GpuKind(GpuInventory gpu) => $"{gpu.Vendor} {gpu.Model}";

    private static long Minutes(TimeSpan age) => (long)age.TotalMinutes;
}
