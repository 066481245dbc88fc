using System.Globalization;
using System.Text.Json;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// The emulated world behind one or more <see cref="EmulatedCimClient"/>s: nodes with GPUs and VMs, the shared
/// cluster, running jobs and injected faults. Tests, the Sandbox and the agent's --simulate mode load it from a
/// <see cref="ClusterDescription"/>, hand each node's client to the production operations, and inspect or change
/// state directly (drift, VMs created, moved or removed outside the automation).
/// </summary>
public sealed class EmulatedCluster
{
    private readonly Dictionary<string, List<EmulatedGpu>> _gpus = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Guid, EmulatedVm> _vms = [];
    private readonly Dictionary<string, EmulatedJob> _jobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _osBuilds = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _languages = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, NodeCapture> _captures = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, NodeDescription> _descriptions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Cluster.ClusterNodeState> _nodeStates = new(StringComparer.OrdinalIgnoreCase);
    // Msvm_ConcreteJob.TimeBeforeRemoval defaults to 5 minutes (learn.microsoft.com … msvm-concretejob; audit E13).
    private static readonly TimeSpan FinishedJobRetention = TimeSpan.FromMinutes(5);
    private long _sequence;

    public EmulatedCluster(ClusterDescription description, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        Name = description.Name;
        Time = time ?? TimeProvider.System;
        var timing = description.Timing ?? new EmulatorTiming();
        JobDelay = TimeSpan.FromMilliseconds(timing.JobDelayMs);
        GuestShutdownDelay = TimeSpan.FromMilliseconds(timing.GuestShutdownMs);
        foreach (var node in description.Nodes)
        {
            if (!_gpus.TryAdd(node.Name, []))
            {
                throw new ArgumentException($"Node '{node.Name}' is described twice.", nameof(description));
            }

            _osBuilds[node.Name] = node.OsBuild;
            _languages[node.Name] = node.Language;
            if (node.Captured is { } capture)
            {
                _captures[node.Name] = capture;
            }

            _descriptions[node.Name] = node;
            for (var i = 0; i < node.Gpus.Count; i++)
            {
                var g = node.Gpus[i];
                var model = g.Captured is { } captured ? CapturedModel(g.Model, captured) : GpuModels.Get(g.Model);
                // A captured count is a fact read on the host, even when it is not one of the valid ones.
                if (g.Captured is null && g.PartitionCount != 0 && !model.ValidPartitionCounts.Contains(g.PartitionCount))
                {
                    throw new ArgumentException($"GPU {i} of node '{node.Name}': partition count {g.PartitionCount} is not valid for {model.Name}.", nameof(description));
                }

                var path = g.InstancePath ?? string.Create(
                    CultureInfo.InvariantCulture,
                    $@"\\?\PCI#{model.PciIds}#4&{(uint)StableHash(node.Name):x8}&0&{i:X4}#{{064092b3-625e-43bf-9eb5-dc845897dd59}}");
                _gpus[node.Name].Add(new EmulatedGpu(node.Name, path, model, g.PartitionCount, g.SriovEnabled, g.Dda, g.PnpStatus, g.PnpErrorCode, g.DriverVersion, i) { Capture = g.Captured });
            }
        }

        foreach (var node in description.Nodes)
        {
            foreach (var v in node.Vms)
            {
                var vm = NewVm(v, node.Name);
                if (!_vms.TryAdd(vm.Id, vm))
                {
                    throw new ArgumentException($"VM id {vm.Id} is described twice.", nameof(description));
                }

                if (v.HasPartition && v.Captured is { } captured)
                {
                    vm.Adapter = CapturedAdapter(vm, v, captured);
                }
                else if (v.HasPartition)
                {
                    var adapter = NewAdapter(vm);
                    adapter.RequestedGpuPath = v.GpuInstancePath;
                    if (AllocatePartition(vm, adapter, v.GpuInstancePath) is { } error)
                    {
                        throw new ArgumentException($"VM '{v.Name}': {error}", nameof(description));
                    }

                    vm.Adapter = adapter;
                }
            }
        }
    }

    /// <summary>The cluster name; null for standalone hosts (no root\MSCluster).</summary>
    public string? Name { get; }

    public TimeProvider Time { get; }

    public TimeSpan JobDelay { get; set; }

    public TimeSpan GuestShutdownDelay { get; set; }

    public EmulatedFaults Faults { get; } = new();

    /// <summary>
    /// How a write to an online cluster resource reports "properties stored": ClusAPI's 0x13A0 is documented
    /// (MS-CMRP), how WMI surfaces it is not (fidelity audit row 50, E18), so tests run every plausible form.
    /// </summary>
    public PropertiesStoredSurface PropertiesStoredAs { get; set; } = PropertiesStoredSurface.Win32Code;

    public IReadOnlyList<string> Nodes { get { lock (Gate) { return [.. _gpus.Keys]; } } }

    internal Lock Gate { get; } = new();

    public static EmulatedCluster Parse(string json, TimeProvider? time = null)
    {
        var description = JsonSerializer.Deserialize(json, SimulationJsonContext.Default.ClusterDescription)
            ?? throw new ArgumentException("The host description is empty.", nameof(json));
        return new EmulatedCluster(description, time);
    }

    public static EmulatedCluster Load(string path, TimeProvider? time = null) => Parse(File.ReadAllText(path), time);

    /// <summary>The CIM client of one node, as the production operations on that node would use MI.</summary>
    public ICimClient ClientFor(string node)
    {
        lock (Gate)
        {
            return _gpus.ContainsKey(node)
                ? new EmulatedCimClient(this, node)
                : throw new ArgumentException($"No emulated node '{node}'.", nameof(node));
        }
    }

    /// <summary>The production operations wired over one node's emulated client.</summary>
    public HyperVHost HostFor(string node, HyperVOptions? options = null) => new(node, ClientFor(node), options, Time, nvidiaSmi: NvidiaSmiFor(node));

    /// <summary>The node's emulated <c>nvidia-smi</c>, or null when the description installs none.</summary>
    public Devices.INvidiaSmi? NvidiaSmiFor(string node)
    {
        lock (Gate)
        {
            return Description(node).NvidiaSmi ? new EmulatedNvidiaSmi(this, node) : null;
        }
    }

    public IReadOnlyList<EmulatedVmState> Vms(string? node = null)
    {
        lock (Gate)
        {
            Tick();
            return [.. _vms.Values.Where(v => node is null || v.Node.Equals(node, StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Name, StringComparer.Ordinal).Select(Snapshot)];
        }
    }

    public EmulatedVmState Vm(Guid id)
    {
        lock (Gate)
        {
            Tick();
            return Snapshot(RequireVm(id));
        }
    }

    /// <summary>The VM with this name; throws when none or several have it.</summary>
    public EmulatedVmState Vm(string name)
    {
        lock (Gate)
        {
            Tick();
            var matches = _vms.Values.Where(v => v.Name == name).ToList();
            return matches.Count == 1 ? Snapshot(matches[0]) : throw new ArgumentException($"{matches.Count} emulated VMs are named '{name}'.", nameof(name));
        }
    }

    public IReadOnlyList<EmulatedGpuState> Gpus(string node)
    {
        lock (Gate)
        {
            Tick();
            return [.. NodeGpus(node).Select(g => new EmulatedGpuState(g.Node, g.InstancePath, g.Model.Name, g.PartitionCount, AssignedOn(g), g.Dda))];
        }
    }

    /// <summary>Creates a VM outside the automation (as an admin or Azure would); returns its id.</summary>
    public Guid AddVm(string node, VmDescription vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        lock (Gate)
        {
            _ = NodeGpus(node);
            var created = NewVm(vm, node);
            if (!_vms.TryAdd(created.Id, created))
            {
                throw new ArgumentException($"VM id {created.Id} exists already.", nameof(vm));
            }

            return created.Id;
        }
    }

    /// <summary>A VM as <paramref name="description"/> describes it (without its partition), on <paramref name="node"/>.</summary>
    private EmulatedVm NewVm(VmDescription description, string node)
    {
        var vm = new EmulatedVm(description.Id ?? NewGuid(), description.Name, node)
        {
            EnabledState = EnabledStateOf(description.State),
            ShutdownIntegration = description.ShutdownIntegration,
            Clustered = description.Clustered && Name is not null,
            OfflineAction = description.OfflineAction,
            Notes = description.Notes,
        };
        if (description.Captured is { } captured)
        {
            vm.EnabledState = captured.EnabledState;
            vm.GuestControlledCacheTypes = captured.GuestControlledCacheTypes;
            vm.LowMmioGapSize = captured.LowMmioGapSize;
            vm.HighMmioGapSize = captured.HighMmioGapSize;
            vm.ResourceName = captured.ResourceName;
            vm.OwnerGroup = captured.OwnerGroup;
        }

        return vm;
    }

    /// <summary>A captured VM's adapter as read: its id, values, requested GPU and partition (or none, if none was realized).</summary>
    private EmulatedAdapter CapturedAdapter(EmulatedVm vm, VmDescription description, VmCapture captured)
    {
        var adapter = new EmulatedAdapter(captured.AdapterId ?? NewAdapter(vm).AdapterId) { RequestedGpuPath = captured.HostResource };
        foreach (var (name, value) in captured.AdapterValues ?? new Dictionary<string, ulong>())
        {
            adapter.Values[name] = value;
        }

        if (captured.PartitionId is { } partition)
        {
            adapter.Gpu = NodeGpus(vm.Node).FirstOrDefault(g => string.Equals(g.InstancePath, description.GpuInstancePath, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"VM '{vm.Name}': its captured partition is on GPU {description.GpuInstancePath}, which node {vm.Node} does not have.", nameof(description));
            adapter.PartitionId = partition;
            adapter.VfLuid = captured.PartitionVfLuid;
        }

        return adapter;
    }

    /// <summary>A captured GPU's model: its counts and memory as read, marked unverified because they come from one host.</summary>
    private static GpuModel CapturedModel(string name, GpuCapture captured)
        => new(
            name,
            captured.PnpManufacturer ?? "Unknown",
            string.Empty,
            (int)(captured.Values.GetValueOrDefault("TotalVRAM") >> 30),
            [.. captured.ValidPartitionCounts.Select(c => (int)c)],
            Verified: false);

    public void RemoveVm(Guid id)
    {
        lock (Gate)
        {
            _ = RequireVm(id);
            _vms.Remove(id);
        }
    }

    /// <summary>Moves a clustered VM to another node, keeping its state; its partition moves to a free one there.</summary>
    public void MoveVm(Guid id, string targetNode)
    {
        lock (Gate)
        {
            var vm = RequireVm(id);
            _ = NodeGpus(targetNode);
            if (!vm.Clustered)
            {
                throw new CimException(CimErrors.ClusterResourceNotFound, $"VM '{vm.Name}' is not clustered and can't move.");
            }

            var source = vm.Node;
            vm.Node = targetNode;
            if (vm.Adapter is { } adapter)
            {
                var (gpu, partition) = (adapter.Gpu, adapter.PartitionId);
                adapter.Gpu = null;
                adapter.PartitionId = null;
                if (AllocatePartition(vm, adapter, null) is { } error)
                {
                    vm.Node = source;
                    adapter.Gpu = gpu;
                    adapter.PartitionId = partition;
                    throw new CimException(CimErrors.NoFreePartition, $"VM '{vm.Name}' can't move to {targetNode}: {error}");
                }

                adapter.RequestedGpuPath = null;
            }
        }
    }

    /// <summary>
    /// MSCluster_ResourceGroup.MoveToNewNode / MoveToNewNodeParams on the VM's group; <paramref name="context"/> is the
    /// VM_RESDLL_CONTEXT the property list carried (4 = live migration), null for none. Rules and codes, README.md in
    /// Cluster/: a group on the target already is success (MS-CMRP ApiMoveGroupToNode); an unknown target fails with
    /// ERROR_CLUSTER_NODE_NOT_FOUND, a target that is not up with ERROR_CLUSTER_NODE_DOWN / _PAUSED /
    /// ERROR_HOST_NODE_NOT_AVAILABLE (MoveClusterGroupEx: refused "if hDestinationNode is not up"; which code is not
    /// documented), a target that is not a possible owner with ERROR_NODE_CANT_HOST_RESOURCE (MS-CMRP: the server
    /// SHOULD fail). A running VM with a GPU partition live-migrates only when both nodes meet the GPU-P prerequisites
    /// (else ERROR_NOT_SUPPORTED — stricter than Windows Server, whose docs say such VMs are restarted where GPU
    /// resources are) and only onto a node with a free partition (else a generic failure: the real code is not
    /// documented). A group that is online and not live-migrated goes offline with its OfflineAction, moves, and comes
    /// back online (MoveClusterGroup: "the cluster always attempts to return the group to the state it was before");
    /// a GPU-P VM can't be saved, so OfflineAction Save fails that move. Moves finish within the call.
    /// </summary>
    internal void MoveGroup(EmulatedVm vm, string target, uint? context)
    {
        if (!_gpus.ContainsKey(target))
        {
            throw new CimException(CimErrors.Failed, $"The cluster node '{target}' was not found.", Cluster.ClusterWin32Errors.ClusterNodeNotFound);
        }

        if (vm.Node.Equals(target, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        switch (NodeState(target))
        {
            case Cluster.ClusterNodeState.Down:
                throw new CimException(CimErrors.Failed, $"The cluster node '{target}' is down.", Cluster.ClusterWin32Errors.ClusterNodeDown);
            case Cluster.ClusterNodeState.Paused:
                throw new CimException(CimErrors.Failed, $"The cluster node '{target}' is paused.", Cluster.ClusterWin32Errors.ClusterNodePaused);
            case not Cluster.ClusterNodeState.Up:
                throw new CimException(CimErrors.Failed, $"The cluster node '{target}' is not available for this operation.", Cluster.ClusterWin32Errors.HostNodeNotAvailable);
        }

        if (vm.PossibleOwners is { } owners && !owners.Contains(target, StringComparer.OrdinalIgnoreCase))
        {
            throw new CimException(CimErrors.Failed, $"The cluster resource of '{vm.Name}' cannot be brought online: node '{target}' is not one of its possible owners ({string.Join(", ", owners)}).", Cluster.ClusterWin32Errors.NodeCantHostResource);
        }

        var running = vm.EnabledState == 2;
        var live = running && context == Cluster.ClusterPropertyList.ContextLiveMigration;
        if (running && !live && vm.Adapter is not null && vm.OfflineAction == OfflineAction.Save)
        {
            throw new CimException(CimErrors.Failed, $"Taking '{vm.Name}' offline to move it would save it, and a VM with a GPU partition can't be saved.", GenericFailure);
        }

        if (live && vm.Adapter is not null && LiveMigrationProblems(vm.Node).Concat(LiveMigrationProblems(target)).ToList() is { Count: > 0 } problems)
        {
            throw new CimException(CimErrors.Failed, $"Live migration of '{vm.Name}' with a GPU partition is not supported: {string.Join("; ", problems)}.", Cluster.ClusterWin32Errors.NotSupported);
        }

        var source = vm.Node;
        var adapter = vm.Adapter;
        var (gpu, partition, luid) = (adapter?.Gpu, adapter?.PartitionId, adapter?.VfLuid);
        vm.Node = target;
        if (adapter is not null)
        {
            adapter.Gpu = null;
            adapter.PartitionId = null;
            adapter.RequestedGpuPath = null;
            if (AllocatePartition(vm, adapter, null) is { } error && running)
            {
                // A running VM needs a compatible partition on the target before it can run there (gpu-partitioning:
                // restarted "where GPU resources are available"); an off VM gets one when it next starts.
                vm.Node = source;
                (adapter.Gpu, adapter.PartitionId, adapter.VfLuid) = (gpu, partition, luid);
                throw new CimException(CimErrors.Failed, $"'{vm.Name}' can't run on {target}: {error}", GenericFailure);
            }
        }

        vm.ShutdownDoneAt = null;
    }

    /// <summary>MSCluster_ResourceGroup.BringOnline: starts the group's VM on the node that owns it; it needs a GPU partition there if it has an adapter.</summary>
    internal void BringGroupOnline(EmulatedVm vm)
    {
        if (vm.EnabledState == 2)
        {
            return;
        }

        if (vm.Adapter is { Gpu: null } adapter && AllocatePartition(vm, adapter, adapter.RequestedGpuPath) is { } error)
        {
            throw new CimException(CimErrors.Failed, $"The cluster resource of '{vm.Name}' failed to come online on {vm.Node}: {error}", GenericFailure);
        }

        vm.EnabledState = 2;
        vm.ShutdownDoneAt = null;
    }

    /// <summary>E_FAIL: what the emulator answers where no source names the provider's code.</summary>
    internal const uint GenericFailure = 0x80004005;

    /// <summary>A node's cluster state as MSCluster_Node reports it (all nodes start Up): a node down or paused takes no group.</summary>
    public void SetNodeState(string node, Cluster.ClusterNodeState state)
    {
        lock (Gate)
        {
            _ = NodeGpus(node);
            _nodeStates[node] = state;
        }
    }

    /// <summary>Limits the nodes a VM's cluster resource may be owned by (Set-ClusterOwnerNode); none given means every node.</summary>
    public void SetPossibleOwners(Guid id, params string[] nodes)
    {
        lock (Gate)
        {
            RequireVm(id).PossibleOwners = nodes.Length == 0 ? null : [.. nodes];
        }
    }

    /// <summary>Drift: changes OfflineAction behind the automation's back.</summary>
    public void SetOfflineAction(Guid id, OfflineAction action)
    {
        lock (Gate)
        {
            RequireVm(id).OfflineAction = action;
        }
    }

    /// <summary>Drift: an operator adds the VM to, or removes it from, the cluster's roles (only in a cluster).</summary>
    public void SetClustered(Guid id, bool clustered)
    {
        lock (Gate)
        {
            RequireVm(id).Clustered = clustered && Name is not null;
        }
    }

    /// <summary>Drift: removes the VM's partition adapter directly.</summary>
    public void RemovePartition(Guid id)
    {
        lock (Gate)
        {
            RequireVm(id).Adapter = null;
        }
    }

    /// <summary>Changes a VM's power state directly (an admin starting or saving it).</summary>
    public void SetPowerState(Guid id, VmPowerState state)
    {
        lock (Gate)
        {
            var vm = RequireVm(id);
            vm.EnabledState = EnabledStateOf(state);
            vm.ShutdownDoneAt = null;
        }
    }

    /// <summary>Drift: sets a GPU's partition count directly, bypassing the rules (for compliance scenarios).</summary>
    public void SetPartitionCount(string node, string instancePath, int count)
    {
        lock (Gate)
        {
            RequireGpu(node, instancePath).PartitionCount = count;
        }
    }

    /// <summary>Changes the driver status PnP reports for a GPU (e.g. "Error" with code 43).</summary>
    public void SetPnpStatus(string node, string instancePath, string status, int errorCode)
    {
        lock (Gate)
        {
            var gpu = RequireGpu(node, instancePath);
            gpu.PnpStatus = status;
            gpu.PnpErrorCode = errorCode;
        }
    }

    internal IReadOnlyList<EmulatedGpu> NodeGpus(string node)
        => _gpus.TryGetValue(node, out var list) ? list : throw new ArgumentException($"No emulated node '{node}'.", nameof(node));

    internal IEnumerable<EmulatedVm> NodeVms(string node)
        => _vms.Values.Where(v => v.Node.Equals(node, StringComparison.OrdinalIgnoreCase)).OrderBy(v => v.Id);

    internal IEnumerable<EmulatedVm> AllVms => _vms.Values.OrderBy(v => v.Id);

    internal string OsBuild(string node) => _osBuilds[node];

    internal Cluster.ClusterNodeState NodeState(string node) => _nodeStates.GetValueOrDefault(node, Cluster.ClusterNodeState.Up);

    /// <summary>
    /// The GPU-P live-migration prerequisites a node misses, judged by the agent's own rule
    /// (<see cref="Platform.LiveMigrationPrerequisites"/>) over the node's described OS build and NVIDIA drivers.
    /// </summary>
    internal IReadOnlyList<string> LiveMigrationProblems(string node)
    {
        var description = Description(node);
        var build = int.TryParse(OsBuild(node), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : 0;
        var gpus = NodeGpus(node).Where(g => g.IsPartitionable).Select(g => new GpuInventory(
            g.InstancePath, null, g.Model.Vendor, g.Model.Name, null, g.PnpStatus, g.PnpErrorCode, GpuAssignedStatus.Partitioned, g.ValidCounts, g.PartitionCount, null, [],
            new GpuDriver(g.DriverVersion, g.Model.Vendor, description.NvidiaSmi ? description.NvidiaDriverVersion : null)));
        return Platform.LiveMigrationPrerequisites.Problems(node, new Platform.OperatingSystemFacts(OsBuild(node), build, description.OsCaption, description.OsSku), gpus);
    }

    internal string Language(string node) => _languages[node];

    internal NodeCapture? Capture(string node) => _captures.GetValueOrDefault(node);

    /// <summary>The node as described: its platform facts (OS, IOV, BMC, vendor tool) never change while emulated.</summary>
    internal NodeDescription Description(string node)
        => _descriptions.TryGetValue(node, out var description) ? description : throw new ArgumentException($"No emulated node '{node}'.", nameof(node));

    internal IEnumerable<EmulatedJob> Jobs => _jobs.Values;

    internal int AssignedOn(EmulatedGpu gpu) => _vms.Values.Count(v => v.Adapter?.Gpu == gpu);

    /// <summary>Partitions of this GPU in use by running VMs (what Available* follows).</summary>
    internal int RunningOn(EmulatedGpu gpu) => _vms.Values.Count(v => v.Adapter?.Gpu == gpu && v.EnabledState == 2);

    internal Guid NewGuid() => Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"5e7a0000-0000-4000-8000-{Interlocked.Increment(ref _sequence):D12}"));

    internal EmulatedAdapter NewAdapter(EmulatedVm vm)
    {
        // The twelve values start NULL, as Add-VMGpuPartitionAdapter without sizes leaves them (audit row 19).
        return new EmulatedAdapter($@"Microsoft:{vm.GuidText}\{NewGuid().ToString("D").ToUpperInvariant()}");
    }

    /// <summary>Gives the adapter a free partition on the VM's node (on <paramref name="gpuPath"/> if named); the error when there is none.</summary>
    internal string? AllocatePartition(EmulatedVm vm, EmulatedAdapter adapter, string? gpuPath)
    {
        var candidates = NodeGpus(vm.Node).Where(g => gpuPath is null || g.InstancePath.Equals(gpuPath, StringComparison.OrdinalIgnoreCase)).ToList();
        if (gpuPath is not null && candidates.Count == 0)
        {
            return $"GPU {gpuPath} is not on node {vm.Node}.";
        }

        if (gpuPath is not null && candidates[0].Dda)
        {
            return $"GPU {gpuPath} is assigned with DDA and can't be partitioned.";
        }

        var gpu = candidates.FirstOrDefault(g => g.IsPartitionable && g.PartitionCount > 0 && AssignedOn(g) < g.PartitionCount);
        if (gpu is null)
        {
            return gpuPath is null ? $"no free GPU partition on node {vm.Node}." : $"GPU {gpuPath} has no free partition.";
        }

        var used = _vms.Values.Where(v => v.Adapter?.Gpu == gpu).Select(v => v.Adapter!.PartitionId).ToHashSet();
        adapter.Gpu = gpu;
        adapter.PartitionId = Enumerable.Range(0, gpu.PartitionCount).First(p => !used.Contains(p));
        adapter.VfLuid = string.Create(CultureInfo.InvariantCulture, $"0x{Interlocked.Increment(ref _sequence):X8}");
        return null;
    }

    internal EmulatedJob StartJob(TimeSpan extraDelay, bool hung, Func<(uint ErrorCode, string Description)?> effect, EmulatedFault? fault = null)
    {
        var now = Time.GetUtcNow();
        var job = new EmulatedJob(NewGuid().ToString("D").ToUpperInvariant(), now, now + JobDelay + extraDelay, effect)
        {
            Hung = hung,
            SuccessState = fault?.Kind == EmulatedFaultKind.WarnJob ? EmulatedJob.CompletedWithWarnings : EmulatedJob.Completed,
            FailureState = fault?.Kind == EmulatedFaultKind.FailJob ? fault.FailedJobState : EmulatedJob.Exception,
            RunningState = fault?.Kind == EmulatedFaultKind.ServiceJob ? EmulatedJob.Service : EmulatedJob.Running,
        };
        _jobs[job.Id] = job;
        return job;
    }

    /// <summary>Lets time act: due jobs finish (running their effects) and due guest shutdowns complete. Under <see cref="Gate"/>.</summary>
    internal void Tick()
    {
        var now = Time.GetUtcNow();
        foreach (var job in _jobs.Values.Where(j => !j.IsFinished && !j.Hung && j.CompletesAt <= now).OrderBy(j => j.CompletesAt).ToList())
        {
            job.Finish();
        }

        // Finished jobs stay readable for a while (callers poll them), then go, so a long Sandbox run stays small.
        foreach (var stale in _jobs.Values.Where(j => j.IsFinished && j.CompletesAt < now - FinishedJobRetention).Select(j => j.Id).ToList())
        {
            _jobs.Remove(stale);
        }

        foreach (var vm in _vms.Values.Where(v => v.ShutdownDoneAt <= now))
        {
            vm.EnabledState = 3;
            vm.ShutdownDoneAt = null;
        }
    }

    /// <summary>Everything a call may change (VMs, GPUs, the id sequence); jobs stay with the process that started them.</summary>
    internal EmulatedWorldState CaptureState()
    {
        lock (Gate)
        {
            return new EmulatedWorldState(
                Interlocked.Read(ref _sequence),
                [.. _gpus.Values.SelectMany(g => g).Select(g => new EmulatedWorldState.Gpu(g.Node, g.InstancePath, g.PartitionCount, g.PnpStatus, g.PnpErrorCode))],
                [.. _vms.Values.OrderBy(v => v.Id).Select(v => new EmulatedWorldState.Vm(
                    v.Id, v.Name, v.Node, v.EnabledState, v.ShutdownIntegration, v.Clustered, v.OfflineAction, v.Notes,
                    v.GuestControlledCacheTypes, v.LowMmioGapSize, v.HighMmioGapSize, v.ShutdownDoneAt,
                    v.Adapter is { } a
                        ? new EmulatedWorldState.Adapter(a.AdapterId, new Dictionary<string, ulong>(a.Values, StringComparer.OrdinalIgnoreCase), a.RequestedGpuPath, a.Gpu?.InstancePath, a.PartitionId, a.VfLuid)
                        : null,
                    v.PossibleOwners))],
                new Dictionary<string, Cluster.ClusterNodeState>(_nodeStates, StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>
    /// Makes this cluster match <paramref name="state"/>, updating objects in place so effects of jobs this process
    /// started still act on the live VMs.
    /// </summary>
    internal void RestoreState(EmulatedWorldState state)
    {
        lock (Gate)
        {
            _sequence = Math.Max(_sequence, state.Sequence);
            _nodeStates.Clear();
            foreach (var (node, nodeState) in state.NodeStates ?? new Dictionary<string, Cluster.ClusterNodeState>())
            {
                _nodeStates[node] = nodeState;
            }

            var allGpus = _gpus.Values.SelectMany(g => g).ToDictionary(g => g.InstancePath, StringComparer.OrdinalIgnoreCase);
            foreach (var g in state.Gpus)
            {
                if (allGpus.TryGetValue(g.InstancePath, out var gpu))
                {
                    gpu.PartitionCount = g.PartitionCount;
                    gpu.PnpStatus = g.PnpStatus;
                    gpu.PnpErrorCode = g.PnpErrorCode;
                }
            }

            var wanted = state.Vms.Select(v => v.Id).ToHashSet();
            foreach (var gone in _vms.Keys.Where(id => !wanted.Contains(id)).ToList())
            {
                _vms.Remove(gone);
            }

            foreach (var v in state.Vms)
            {
                if (!_vms.TryGetValue(v.Id, out var vm))
                {
                    vm = new EmulatedVm(v.Id, v.Name, v.Node);
                    _vms.Add(v.Id, vm);
                }

                vm.Name = v.Name;
                vm.Node = v.Node;
                vm.EnabledState = v.EnabledState;
                vm.ShutdownIntegration = v.ShutdownIntegration;
                vm.Clustered = v.Clustered;
                vm.OfflineAction = v.OfflineAction;
                vm.Notes = v.Notes;
                vm.GuestControlledCacheTypes = v.GuestControlledCacheTypes;
                vm.LowMmioGapSize = v.LowMmioGapSize;
                vm.HighMmioGapSize = v.HighMmioGapSize;
                vm.ShutdownDoneAt = v.ShutdownDoneAt;
                vm.PossibleOwners = v.PossibleOwners;
                if (v.Adapter is not { } a)
                {
                    vm.Adapter = null;
                    continue;
                }

                if (vm.Adapter is null || !string.Equals(vm.Adapter.AdapterId, a.AdapterId, StringComparison.OrdinalIgnoreCase))
                {
                    vm.Adapter = new EmulatedAdapter(a.AdapterId);
                }

                vm.Adapter.Values.Clear();
                foreach (var (name, value) in a.Values)
                {
                    vm.Adapter.Values[name] = value;
                }

                vm.Adapter.RequestedGpuPath = a.RequestedGpuPath;
                vm.Adapter.Gpu = a.GpuInstancePath is null ? null : allGpus.GetValueOrDefault(a.GpuInstancePath);
                vm.Adapter.PartitionId = a.PartitionId;
                vm.Adapter.VfLuid = a.VfLuid;
            }
        }
    }

    internal EmulatedVm RequireVm(Guid id)
        => _vms.TryGetValue(id, out var vm) ? vm : throw new ArgumentException($"No emulated VM {id}.", nameof(id));

    private EmulatedGpu RequireGpu(string node, string instancePath)
        => NodeGpus(node).FirstOrDefault(g => g.InstancePath.Equals(instancePath, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No emulated GPU {instancePath} on {node}.", nameof(instancePath));

    private EmulatedVmState Snapshot(EmulatedVm vm)
        => new(
            vm.Id,
            vm.Name,
            vm.Node,
            VirtualMachine.PowerStateOf(vm.EnabledState),
            vm.Clustered,
            vm.OfflineAction,
            vm.Adapter?.AdapterId,
            vm.Adapter?.Gpu?.InstancePath,
            vm.Adapter?.PartitionId,
            vm.Adapter is null ? new Dictionary<string, ulong>() : new Dictionary<string, ulong>(vm.Adapter.Values, StringComparer.OrdinalIgnoreCase),
            vm.GuestControlledCacheTypes,
            vm.LowMmioGapSize,
            vm.HighMmioGapSize);

    internal static ushort EnabledStateOf(VmPowerState state) => state switch
    {
        VmPowerState.Running => 2,
        VmPowerState.Off => 3,
        VmPowerState.ShuttingDown => 4,
        VmPowerState.Saved => 6,
        VmPowerState.Paused => 9,
        VmPowerState.Starting => 10,
        VmPowerState.Saving => 32773,
        VmPowerState.Pausing => 32776,
        VmPowerState.Resuming => 32777,
        _ => throw new ArgumentException($"An emulated VM can't be put in state {state}.", nameof(state)),
    };

    private static int StableHash(string text)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var c in text.ToUpperInvariant())
            {
                hash = (hash ^ c) * 16777619;
            }

            return hash;
        }
    }
}
