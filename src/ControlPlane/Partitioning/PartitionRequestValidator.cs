using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Inventory;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Checks a submission against the stored inventory of its cluster, before anything is stored as accepted or sent.
/// Pure: the same inputs give the same answer. A node's free partitions are the ledger's to check
/// (<see cref="Capacity.NodeLedger.Admit"/>): it counts requests in flight and results newer than the snapshot.
/// </summary>
public static class PartitionRequestValidator
{
    public static RequestValidation Validate(PartitionRequestSubmission submission, ClusterInventory inventory, DateTimeOffset now, TimeSpan inventoryMaxAge)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(inventory);
        var check = new Check(submission);
        try
        {
            return submission.Action switch
            {
                PartitionAction.Assign or PartitionAction.Unassign or PartitionAction.SetOfflineAction => check.VmChange(inventory, now, inventoryMaxAge),
                PartitionAction.ConfigurePartitionCount => check.CountChange(inventory, now, inventoryMaxAge),
                _ => check.Reject(RequestCodes.UnknownAction, $"Unknown action {submission.Action}."),
            };
        }
        catch (RejectedException ex)
        {
            return check.Reject(ex.Notice);
        }
    }

    /// <summary>
    /// The warning for a count change that leaves some of the cluster's partitionable GPUs at another count, or null
    /// when the change covers every GPU that differs. Judged against the whole cluster, whatever the selection.
    /// </summary>
    public static RequestNotice? PartialSelection(ClusterInventory inventory, IEnumerable<(string Node, string InstancePath)> targets, int count)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var targetSet = targets.Select(t => $"{t.Node}|{t.InstancePath}".ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var gpus = inventory.PartitionableGpus.ToList();
        var others = gpus
            .Where(x => !targetSet.Contains($"{x.Node}|{x.Gpu.InstancePath}".ToUpperInvariant()) && x.Gpu.PartitionCount != count)
            .ToList();
        return others.Count == 0
            ? null
            : new RequestNotice(
                RequestCodes.PartialSelection,
                string.Create(CultureInfo.InvariantCulture, $"The change covers {gpus.Count - others.Count} of the {gpus.Count} GPUs of cluster {inventory.Cluster}; {string.Join(", ", others.Select(o => $"{o.Gpu.InstancePath} on {o.Node} ({o.Gpu.PartitionCount})"))} keep another partition count until changed too."));
    }

    private static string Counts(IEnumerable<int> counts) => string.Join(", ", counts);

    private sealed class RejectedException(RequestNotice notice) : Exception(notice.Message)
    {
        public RequestNotice Notice { get; } = notice;
    }

    private sealed class Check(PartitionRequestSubmission s)
    {
        private readonly List<RequestNotice> _warnings = [];
        private string _node = s.Node ?? string.Empty;
        private string? _vmName = s.VmName;
        private Guid? _vmId = s.VmId;

        public RequestValidation Reject(string code, string message) => Reject(new RequestNotice(code, message));

        public RequestValidation Reject(RequestNotice notice)
            => new(_node, _vmName, _vmId, s.GpuInstancePaths ?? [], _warnings, notice);

        public RequestValidation VmChange(ClusterInventory inventory, DateTimeOffset now, TimeSpan maxAge)
        {
            Names();
            Known(inventory);
            if (!ResourceNames.IsValidVmName(s.VmName))
            {
                throw Rejected(RequestCodes.InvalidName, $"'{s.VmName}' is not a valid VM name (1 to {ResourceNames.MaxVmNameLength} characters, no control characters).");
            }

            var nodes = s.Node is null ? inventory.Nodes : [RequireNode(inventory, s.Node)];
            var matches = nodes
                .SelectMany(n => n.Vms.Select(vm => (Node: n, Vm: vm)))
                .Where(m => s.VmId is { } id ? m.Vm.Id == id : string.Equals(m.Vm.Name, s.VmName, StringComparison.OrdinalIgnoreCase))
                .ToList();
            var where = s.Node is null ? $"cluster {s.Cluster}" : $"node {s.Node} of cluster {s.Cluster}";
            if (matches.Count == 0)
            {
                throw Rejected(RequestCodes.UnknownVm, s.VmId is { } id
                    ? $"No VM with id {id} ('{s.VmName}') in the inventory of {where}."
                    : $"No VM named '{s.VmName}' in the inventory of {where}.");
            }

            if (matches.Count > 1)
            {
                throw Rejected(RequestCodes.VmAmbiguous, $"{matches.Count} VMs are named '{s.VmName}' in {where} ({string.Join(", ", matches.Select(m => $"{m.Vm.Id} on {m.Node.Node}"))}); give the VM id.");
            }

            var (node, vm) = matches[0];
            _node = node.Node;
            _vmName = vm.Name;
            _vmId = vm.Id;
            Fresh(node, now, maxAge);

            if (s.Action == PartitionAction.SetOfflineAction)
            {
                if (!vm.IsClustered)
                {
                    throw Rejected(RequestCodes.VmNotClustered, $"VM '{vm.Name}' on node {node.Node} is not a cluster resource, so it has no OfflineAction.");
                }

                if (!Enum.IsDefined(s.OfflineAction))
                {
                    throw Rejected(RequestCodes.InvalidOfflineAction, $"OfflineAction {(int)s.OfflineAction} is not one of 0 (TurnOff), 1 (Save), 2 (Shutdown), 3 (ForceShutdown).");
                }

                return Accept([]);
            }

            if (s.Action == PartitionAction.Unassign)
            {
                if (!vm.HasPartition)
                {
                    throw Rejected(RequestCodes.VmHasNoPartition, $"VM '{vm.Name}' on node {node.Node} holds no GPU partition.");
                }

                return Accept([]);
            }

            if (vm.HasPartition)
            {
                throw Rejected(RequestCodes.VmHasPartition, $"VM '{vm.Name}' on node {node.Node} already holds a GPU partition ({vm.PartitionAdapters[0].GpuInstancePath ?? vm.PartitionAdapters[0].AdapterId}); a VM gets at most one.");
            }

            Homogeneous(inventory, includeCounts: !s.PartOfRollout);
            var partitioned = node.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).ToList();
            if (partitioned.Count == 0)
            {
                throw Rejected(RequestCodes.NoPartitionableGpu, $"Node {node.Node} has no GPU in Partitioned status ({Describe(node.Gpus)}).");
            }

            var paths = s.GpuInstancePaths ?? [];
            if (paths.Count > 1)
            {
                throw Rejected(RequestCodes.UnknownGpu, $"An assignment takes its partition from one GPU; {paths.Count} were named.");
            }

            if (paths.Count == 1)
            {
                var gpu = RequireGpu(node, paths[0]);
                RequirePartitioned(node, gpu);
                if (gpu.FreePartitions == 0)
                {
                    throw Rejected(RequestCodes.NoFreePartition, string.Create(CultureInfo.InvariantCulture, $"GPU {gpu.InstancePath} on node {node.Node} has no free partition ({gpu.Partitions.Count} of {gpu.PartitionCount} assigned)."));
                }
            }

            return Accept(paths);
        }

        public RequestValidation CountChange(ClusterInventory inventory, DateTimeOffset now, TimeSpan maxAge)
        {
            Names();
            Known(inventory);
            if (s.Node is null)
            {
                throw Rejected(RequestCodes.NodeRequired, $"A partition count change names the node to change in cluster {s.Cluster}; submit one per node.");
            }

            var node = RequireNode(inventory, s.Node);
            _node = node.Node;
            Fresh(node, now, maxAge);
            var count = s.PartitionCount ?? 0;
            if (count is < 1 or > ConfigurePartitionCount.MaxPartitionCount)
            {
                throw Rejected(RequestCodes.InvalidPartitionCount, string.Create(CultureInfo.InvariantCulture, $"GPU partition count {count} is outside 1..{ConfigurePartitionCount.MaxPartitionCount}."));
            }

            var targets = (s.GpuInstancePaths ?? []).Count == 0
                ? node.Gpus.Where(g => g.ValidPartitionCounts.Count > 0).ToList()
                : s.GpuInstancePaths!.Select(p => RequireGpu(node, p)).ToList();
            if (targets.Count == 0)
            {
                throw Rejected(RequestCodes.NoPartitionableGpu, $"Node {node.Node} has no partitionable GPU ({Describe(node.Gpus)}).");
            }

            Homogeneous(inventory, includeCounts: false);
            foreach (var gpu in targets)
            {
                RequirePartitioned(node, gpu);
                if (!gpu.ValidPartitionCounts.Contains(count))
                {
                    throw Rejected(RequestCodes.InvalidPartitionCount, string.Create(CultureInfo.InvariantCulture, $"GPU partition count {count} is not one of the valid counts {Counts(gpu.ValidPartitionCounts)} for {gpu.Vendor} {gpu.Model} on {node.Node}."));
                }

                if (gpu.Partitions.Count > 0)
                {
                    throw Rejected(RequestCodes.PartitionsAssigned, string.Create(CultureInfo.InvariantCulture, $"The partition count of GPU {gpu.InstancePath} on {node.Node} can't change while {gpu.Partitions.Count} of its partitions are assigned (VMs {string.Join(", ", gpu.Partitions.Select(p => p.VmName))})."));
                }
            }

            if (PartialSelection(inventory, targets.Select(g => (node.Node, g.InstancePath)), count) is { } partial)
            {
                _warnings.Add(partial);
            }

            return Accept(targets.Select(g => g.InstancePath).ToList());
        }

        private RequestValidation Accept(IReadOnlyList<string> gpuPaths) => new(_node, _vmName, _vmId, gpuPaths, _warnings, null);

        private void Names()
        {
            if (!ResourceNames.IsValidHostName(s.Cluster))
            {
                throw Rejected(RequestCodes.InvalidName, $"'{s.Cluster}' is not a valid cluster name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).");
            }

            if (s.Node is not null && !ResourceNames.IsValidHostName(s.Node))
            {
                var node = s.Node;
                _node = string.Empty;
                throw Rejected(RequestCodes.InvalidName, $"'{node}' is not a valid node name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).");
            }
        }

        private void Known(ClusterInventory inventory)
        {
            if (inventory.Nodes.Count == 0)
            {
                throw Rejected(RequestCodes.UnknownCluster, $"Cluster {s.Cluster} is unknown: no node of it has sent an inventory.");
            }
        }

        private NodeInventory RequireNode(ClusterInventory inventory, string node)
        {
            if (inventory.FindNode(node) is { } found)
            {
                return found;
            }

            _node = string.Empty;
            throw Rejected(RequestCodes.UnknownNode, $"Node {node} is not in the inventory of cluster {s.Cluster} (nodes: {string.Join(", ", inventory.Nodes.Select(n => n.Node))}).");
        }

        private static GpuInventory RequireGpu(NodeInventory node, string path)
            => node.Gpus.FirstOrDefault(g => string.Equals(g.InstancePath, path, StringComparison.OrdinalIgnoreCase))
                ?? throw Rejected(RequestCodes.UnknownGpu, $"Node {node.Node} has no GPU {path}.");

        private static void RequirePartitioned(NodeInventory node, GpuInventory gpu)
        {
            if (gpu.AssignedStatus != GpuAssignedStatus.Partitioned)
            {
                var why = gpu.AssignedStatus == GpuAssignedStatus.ReadyForDda ? " (in DDA use, not partitioned)" : string.Empty;
                throw Rejected(RequestCodes.GpuNotPartitioned, $"GPU {gpu.Vendor} {gpu.Model} {gpu.InstancePath} on {node.Node} is {gpu.AssignedStatus}{why}, not Partitioned.");
            }
        }

        private void Fresh(NodeInventory node, DateTimeOffset now, TimeSpan maxAge)
        {
            var age = now - node.TakenAt;
            if (age > maxAge)
            {
                _warnings.Add(new RequestNotice(
                    RequestCodes.InventoryStale,
                    string.Create(CultureInfo.InvariantCulture, $"The inventory of node {node.Node} was taken at {node.TakenAt:O}, {(int)age.TotalMinutes} minutes ago (limit {(int)maxAge.TotalMinutes}).")));
            }
        }

        /// <summary>
        /// Microsoft's rule (learn.microsoft.com/windows-server/virtualization/hyper-v/gpu-partitioning, "GPU
        /// partitioning caveats"): the same make, model and size of GPU on every server and the same partition count on
        /// every GPU, or GPU-P is unsupported — an error. Size is compared where both nodes report it (an agent that
        /// can't read it, e.g. a client driver's relative units, says nothing about it). Driver versions are not in
        /// that rule; NVIDIA's vGPU documentation requires a guest driver compatible with the host's vGPU manager
        /// release, so a VM restarted on a node with another driver may lose its GPU — a warning.
        /// </summary>
        private void Homogeneous(ClusterInventory inventory, bool includeCounts)
        {
            var gpus = inventory.PartitionableGpus.ToList();
            if (gpus.Count == 0)
            {
                return;
            }

            var (firstNode, first) = gpus[0];
            foreach (var (node, gpu) in gpus.Skip(1))
            {
                var sameKind = string.Equals(gpu.Vendor, first.Vendor, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(gpu.Model, first.Model, StringComparison.OrdinalIgnoreCase);
                if (!sameKind)
                {
                    throw Rejected(RequestCodes.ClusterHeterogeneous, $"Cluster {s.Cluster} is not homogeneous: {firstNode} has {Describe(first)} but {node} has {Describe(gpu)}.");
                }

                if (includeCounts && gpu.PartitionCount != first.PartitionCount)
                {
                    throw Rejected(RequestCodes.ClusterHeterogeneous, string.Create(CultureInfo.InvariantCulture, $"Cluster {s.Cluster} is not homogeneous: GPU {first.InstancePath} on {firstNode} has {first.PartitionCount} partitions but {gpu.InstancePath} on {node} has {gpu.PartitionCount}; finish the partition count change first."));
                }
            }

            var sized = gpus.Where(x => x.Gpu.MemoryMiB is not null).ToList();
            if (sized.FirstOrDefault(x => x.Gpu.MemoryMiB != sized[0].Gpu.MemoryMiB) is { Gpu: not null } other)
            {
                throw Rejected(RequestCodes.ClusterHeterogeneous, $"Cluster {s.Cluster} is not homogeneous: {sized[0].Node} has {Describe(sized[0].Gpu)} but {other.Node} has {Describe(other.Gpu)}.");
            }

            var versions = gpus
                .Where(x => x.Gpu.Driver?.Version is not null)
                .GroupBy(x => x.Gpu.Driver!.Version!, StringComparer.OrdinalIgnoreCase)
                .ToList();
            if (versions.Count > 1)
            {
                _warnings.Add(new RequestNotice(
                    RequestCodes.DriverVersionsDiffer,
                    $"The GPUs of cluster {s.Cluster} run different host driver versions: {string.Join("; ", versions.Select(v => $"{v.Key} on {string.Join(", ", v.Select(x => x.Node).Distinct(StringComparer.OrdinalIgnoreCase))}"))}. Install one driver version on every node."));
            }
        }

        private static string Describe(GpuInventory gpu)
            => gpu.MemoryMiB is { } mib ? string.Create(CultureInfo.InvariantCulture, $"{gpu.Vendor} {gpu.Model} ({mib} MiB)") : $"{gpu.Vendor} {gpu.Model}";

        private static string Describe(IReadOnlyList<GpuInventory> gpus)
            => gpus.Count == 0 ? "no GPUs" : string.Join(", ", gpus.Select(g => $"{g.Model} {g.AssignedStatus}"));

        private static RejectedException Rejected(string code, string message) => new(new RequestNotice(code, message));
    }
}
