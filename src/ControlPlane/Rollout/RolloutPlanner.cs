using System.Globalization;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Works out a rolling partition count change without touching anything (issue 19). Changing a GPU's partition
/// count needs every partition on it unassigned (Hyper-V refuses otherwise; Windows Admin Center and the Azure Local
/// portal ask the operator to unassign them all), so each stage empties its nodes first: VMs move to another node
/// with a free partition where the request allows it, the others stop and give up their partitions, the nodes'
/// GPUs change, and the stopped VMs get partitions back and start again as they were.
/// <list type="bullet">
/// <item>Who keeps a partition when the new count gives fewer than the VMs hold is decided once, up front, by priority
/// (<see cref="PriorityOf"/>); those VMs lose theirs in the first stage, so no VM that keeps one ever waits on a
/// partition a loser still holds.</item>
/// <item>Nodes go in order of fewest GPU VMs first: the emptiest nodes change first and, when moves are allowed, take the
/// VMs of the nodes after them; a moved VM prefers a node already changed, so it isn't disturbed twice.</item>
/// <item>Capacity is counted per node and GPU model (a partition is a slice of one model), only on GPUs that are
/// partitioned and healthy; no pool ever holds more VMs than partitions, which the property tests check.</item>
/// </list>
/// Pure: the same inputs give the same plan.
/// </summary>
public static class RolloutPlanner
{
    private static readonly HashSet<SimNode> NoNodes = [];

    public static RolloutPlan Plan(
        string id,
        RolloutPlanRequest request,
        ClusterInventory inventory,
        ProvisioningPolicy policy,
        DateTimeOffset now,
        TimeSpan inventoryMaxAge,
        RolloutEstimates estimates)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(estimates);
        var marks = inventory.Nodes
            .OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase)
            .Select(InventoryMark.Of)
            .ToList();
        var blockers = Blockers(request, inventory, now, inventoryMaxAge);
        var cluster = new SimCluster(inventory, policy);
        var before = cluster.Headroom(inventory.Cluster, NoNodes);
        if (blockers.Count > 0)
        {
            return new RolloutPlan(id, inventory.Cluster, request, now, marks, before, [], [], [], [], blockers, estimates);
        }

        var warnings = new List<RequestNotice>();
        foreach (var (node, gpu) in inventory.PartitionableGpus.Where(x => x.Gpu.AssignedStatus != GpuAssignedStatus.Partitioned))
        {
            warnings.Add(new RequestNotice(
                RequestCodes.GpuNotPartitioned,
                $"GPU {gpu.InstancePath} on {node} is {gpu.AssignedStatus}, not partitioned: its count changes but it gives no partitions to plan with."));
        }

        var losing = cluster.ChooseLosers(request.PartitionCount);
        var planner = new StagePlanner(cluster, request, estimates);
        var stages = planner.Run(inventory.Cluster, losing);
        if (stages.Count > 1)
        {
            warnings.Add(new RequestNotice(
                RequestCodes.ClusterHeterogeneous,
                string.Create(CultureInfo.InvariantCulture, $"The cluster's GPUs have different partition counts between stage 1 and stage {stages.Count}: failover between changed and unchanged nodes may find no matching partition until the rollout ends.")));
        }

        var (reserveWarnings, reserveBlocker) = ReserveBreaches(policy, before, stages);
        warnings.AddRange(reserveWarnings);
        if (reserveBlocker is not null)
        {
            blockers.Add(reserveBlocker);
        }

        var vms = cluster.Vms
            .OrderBy(v => v.Priority)
            .Select(v => new PlannedVm(v.Name, v.Id, v.Priority, v.OriginalNode, v.Pool?.Node.Name, v.Downtime))
            .ToList();
        var losers = cluster.Vms
            .Where(v => v.Pool is null)
            .OrderBy(v => v.Priority)
            .Select(v => new RequestNotice(RolloutCodes.PartitionLost, $"VM '{v.Name}' ({v.Id}) on {v.OriginalNode} loses its partition: {v.LossReason}"))
            .ToList();
        return new RolloutPlan(id, inventory.Cluster, request, now, marks, before, stages, vms, losers, warnings, blockers, estimates);
    }

    /// <summary>
    /// The cluster policy's reserve at every stage. While a stage runs its nodes' partitions are out of use, much as
    /// if the node were lost, so a breach during a stage is a warning: the rollout can't avoid it, the operator should
    /// know. A stage that ends below the reserve leaves the cluster so afterwards; with <c>onReserveBreach: refuse</c>
    /// that blocks the plan (unless the cluster was already below it before, which the rollout doesn't make worse
    /// than the policy already tolerates), with <c>warn</c> it is a warning too.
    /// </summary>
    private static (List<RequestNotice> Warnings, RequestNotice? Blocker) ReserveBreaches(ProvisioningPolicy policy, StageHeadroom before, IReadOnlyList<RolloutStage> stages)
    {
        if (policy.Reserve == ReserveMode.None || stages.Count == 0)
        {
            return ([], null);
        }

        bool Holds(StageHeadroom h) => policy.Reserve == ReserveMode.Fixed
            ? h.FreePartitions >= (policy.ReservePartitions ?? 0)
            : h.SurvivesAnyNodeLoss;
        var what = policy.Reserve == ReserveMode.Fixed
            ? string.Create(CultureInfo.InvariantCulture, $"the reserve of {policy.ReservePartitions ?? 0} free partition(s)")
            : "the n+1 reserve";
        var warnings = new List<RequestNotice>();
        var during = stages.Where(s => !Holds(s.During)).Select(s => s.Number).ToList();
        if (during.Count > 0)
        {
            warnings.Add(new RequestNotice(RequestCodes.HeadroomReserved, $"While stage(s) {string.Join(", ", during)} run, the cluster is below {what}: the nodes being changed have no partition to restart a failed node's VMs on."));
        }

        var after = stages.Where(s => !Holds(s.After)).Select(s => s.Number).ToList();
        if (after.Count == 0)
        {
            return (warnings, null);
        }

        var notice = new RequestNotice(RequestCodes.HeadroomReserved, $"After stage(s) {string.Join(", ", after)} the cluster stays below {what} (policy onReserveBreach: {policy.OnReserveBreach}).");
        if (policy.OnReserveBreach == ReserveBreachAction.Warn || !Holds(before))
        {
            warnings.Add(notice);
            return (warnings, null);
        }

        return (warnings, notice);
    }

    /// <summary>
    /// A VM's rank for keeping a partition: VMs selected by an earlier rule of the cluster's policy first (rules that
    /// need Azure tags can't be judged from inventory and rank after the rules that could), then running before off,
    /// then by name and id so the order is total.
    /// </summary>
    public static IComparable PriorityOf(ProvisioningPolicy policy, VmInventory vm)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(vm);
        var decision = PolicyMatcher.Decide(policy, new VmFacts(vm.Name, vm.Notes, null));
        var rule = decision.Match switch
        {
            PolicyMatch.Selected => policy.Rules.ToList().IndexOf(decision.Rule!),
            PolicyMatch.Undecided => policy.Rules.Count,
            _ => policy.Rules.Count + 1,
        };
        return (rule, vm.PowerState == VmPowerState.Running ? 0 : 1, vm.Name.ToUpperInvariant(), vm.Id);
    }

    private static List<RequestNotice> Blockers(RolloutPlanRequest request, ClusterInventory inventory, DateTimeOffset now, TimeSpan maxAge)
    {
        var blockers = new List<RequestNotice>();
        if (inventory.Nodes.Count == 0)
        {
            blockers.Add(new RequestNotice(RequestCodes.UnknownCluster, $"Cluster {request.Cluster} is unknown: no node of it has sent an inventory."));
            return blockers;
        }

        if (request.MaxNodesAtOnce < 1)
        {
            blockers.Add(new RequestNotice(RolloutCodes.InvalidRollout, string.Create(CultureInfo.InvariantCulture, $"maxNodesAtOnce is {request.MaxNodesAtOnce}; at least one node changes at a time.")));
        }

        var gpus = inventory.PartitionableGpus.ToList();
        if (gpus.Count == 0)
        {
            blockers.Add(new RequestNotice(RequestCodes.NoPartitionableGpu, $"Cluster {inventory.Cluster} has no partitionable GPU."));
        }

        foreach (var (node, gpu) in gpus.Where(x => !x.Gpu.ValidPartitionCounts.Contains(request.PartitionCount)))
        {
            blockers.Add(new RequestNotice(
                RequestCodes.InvalidPartitionCount,
                string.Create(CultureInfo.InvariantCulture, $"GPU partition count {request.PartitionCount} is not one of the valid counts {string.Join(", ", gpu.ValidPartitionCounts)} for {gpu.Vendor} {gpu.Model} {gpu.InstancePath} on {node}: the cluster can't end homogeneous.")));
        }

        // Nothing starts on a view that may be wrong: a silent node may hold VMs the plan doesn't know about.
        var stale = inventory.Nodes.Where(n => now - n.TakenAt > maxAge).OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).ToList();
        if (stale.Count > 0)
        {
            blockers.Add(new RequestNotice(
                RequestCodes.InventoryStale,
                string.Create(CultureInfo.InvariantCulture, $"The inventory of {string.Join(", ", stale.Select(n => $"{n.Node} ({(now - n.TakenAt).TotalMinutes:N0} min old)"))} is older than {maxAge.TotalMinutes:N0} minutes: the node may be unreachable. Bring it back or remove it from the cluster, then plan again.")));
        }

        return blockers;
    }

    /// <summary>The stages, in order, applied to <see cref="SimCluster"/> as they are planned.</summary>
    private sealed class StagePlanner(SimCluster cluster, RolloutPlanRequest request, RolloutEstimates estimates)
    {
        public List<RolloutStage> Run(string clusterName, IReadOnlyList<SimVm> losers)
        {
            var pending = cluster.Nodes
                .Where(n => n.Pools.Any(p => p.Gpus.Any(g => g.PartitionCount != request.PartitionCount)))
                .OrderBy(n => n.Pools.Sum(p => p.Holders.Count))
                .ThenBy(n => n.Name, StringComparer.OrdinalIgnoreCase)
                .ToList();
            var stages = new List<RolloutStage>();
            foreach (var batch in pending.Chunk(request.MaxNodesAtOnce))
            {
                var steps = new List<VmStep>();
                if (stages.Count == 0)
                {
                    steps.AddRange(losers.Select(Lose));
                }

                var changing = batch.ToHashSet();
                var stopped = new List<SimVm>();
                foreach (var vm in batch.SelectMany(n => n.Pools).SelectMany(p => p.Holders).OrderBy(v => v.Priority).ToList())
                {
                    var from = vm.Home;
                    vm.Vacate();
                    if (request.Moves != MovePolicy.Never && vm.IsClustered && cluster.Target(vm, from, changing, request.Strategy) is { } target)
                    {
                        steps.Add(MoveBefore(vm, from, target));
                    }
                    else
                    {
                        stopped.Add(vm);
                    }
                }

                var during = cluster.Headroom(clusterName, changing);
                foreach (var pool in batch.SelectMany(n => n.Pools))
                {
                    pool.ChangeCount(request.PartitionCount);
                }

                foreach (var node in batch)
                {
                    node.Changed = true;
                }

                foreach (var vm in stopped)
                {
                    steps.Add(GiveBack(vm, changing));
                }

                stages.Add(new RolloutStage(
                    stages.Count + 1,
                    [.. batch.Select(n => n.Name)],
                    steps,
                    during,
                    cluster.Headroom(clusterName, NoNodes)));
            }

            return stages;
        }

        private VmStep Lose(SimVm vm)
        {
            var from = vm.Home;
            vm.Vacate();
            var downtime = vm.IsRunning ? estimates.StopVm + estimates.RemovePartition + estimates.StartVm : TimeSpan.Zero;
            vm.Downtime += downtime;
            return new VmStep(vm.Name, vm.Id, VmStepKind.LosePartition, from.Node.Name, null, vm.IsRunning, downtime, vm.LossReason!);
        }

        private VmStep MoveBefore(SimVm vm, SimPool from, SimPool target)
        {
            vm.Place(target);
            var live = vm.IsRunning && request.Moves == MovePolicy.LiveMigrate && LiveMigrationSupport.Between(from.Node.Source, target.Node.Source);
            var downtime = live || !vm.IsRunning ? TimeSpan.Zero : estimates.StopVm + estimates.QuickMove + estimates.StartVm;
            vm.Downtime += downtime;
            var why = live
                ? $"{target.Node.Name} has a free {Model(target)} partition and both nodes support GPU-P live migration (OS build {LiveMigrationSupport.MinimumOsBuild}+; the agent falls back to stop, move, start if the driver doesn't)."
                : vm.IsRunning
                    ? $"{target.Node.Name} has a free {Model(target)} partition; {(request.Moves == MovePolicy.LiveMigrate ? $"live migration needs OS build {LiveMigrationSupport.MinimumOsBuild}+ on both nodes" : "moves are allowed only while off")}, so it stops, moves and starts again."
                    : $"{target.Node.Name} has a free {Model(target)} partition; the VM is off, so its cluster group moves without downtime.";
            return new VmStep(vm.Name, vm.Id, live ? VmStepKind.LiveMigrate : VmStepKind.Move, from.Node.Name, target.Node.Name, vm.IsRunning, downtime, why);
        }

        /// <summary>A VM stopped for its node's change gets a partition back: on its node if there is one, elsewhere if allowed.</summary>
        private VmStep GiveBack(SimVm vm, HashSet<SimNode> changing)
        {
            var home = vm.Home;
            var inPlace = (vm.IsRunning ? estimates.StopVm : TimeSpan.Zero) + estimates.RemovePartition + estimates.ChangeCount;
            var start = vm.IsRunning ? estimates.StartVm : TimeSpan.Zero;
            if (home.Free > 0)
            {
                vm.Place(home);
                vm.Downtime += inPlace + estimates.AddPartition + start;
                var why = request.Moves == MovePolicy.Never
                    ? "moves are not allowed (moves: never)"
                    : !vm.IsClustered ? "it is not a cluster resource, so it can't move" : $"no other node had a free {Model(home)} partition";
                return new VmStep(vm.Name, vm.Id, VmStepKind.StopInPlace, home.Node.Name, home.Node.Name, vm.IsRunning, inPlace + estimates.AddPartition + start, $"Stays on its node: {why}.");
            }

            if (request.Moves != MovePolicy.Never && vm.IsClustered && cluster.Target(vm, home, new HashSet<SimNode> { home.Node }, request.Strategy) is { } target)
            {
                vm.Place(target);
                var downtime = inPlace + estimates.QuickMove + estimates.AddPartition + start;
                vm.Downtime += downtime;
                return new VmStep(vm.Name, vm.Id, VmStepKind.StopAndMoveAfter, home.Node.Name, target.Node.Name, vm.IsRunning, downtime, string.Create(CultureInfo.InvariantCulture, $"{home.Node.Name} has {home.Capacity} {Model(home)} partition(s) after the change, all taken by VMs of higher priority; {target.Node.Name} has one free."));
            }

            vm.LossReason = string.Create(
                CultureInfo.InvariantCulture,
                $"{home.Node.Name} has {home.Capacity} {Model(home)} partition(s) at count {request.PartitionCount}, all taken by VMs of higher priority, and {(request.Moves == MovePolicy.Never ? "moves are not allowed (moves: never)" : !vm.IsClustered ? "it is not a cluster resource, so it can't move" : "no other node has a free one")}.");
            var lost = inPlace + start;
            vm.Downtime += lost;
            return new VmStep(vm.Name, vm.Id, VmStepKind.LosePartition, home.Node.Name, null, vm.IsRunning, lost, vm.LossReason);
        }

        private static string Model(SimPool pool) => pool.Model.Length == 0 ? "GPU" : pool.Model;
    }

    /// <summary>The cluster as the plan changes it: per node, a pool of partitions per GPU model and the VMs holding them.</summary>
    private sealed class SimCluster
    {
        public SimCluster(ClusterInventory inventory, ProvisioningPolicy policy)
        {
            Nodes = [.. inventory.Nodes.OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).Select(n => new SimNode(n))];
            var ranked = new List<(SimVm Vm, IComparable Rank)>();
            foreach (var node in Nodes)
            {
                foreach (var vm in node.Source.Vms.Where(v => v.HasPartition))
                {
                    var pool = node.PoolOf(vm);
                    var sim = new SimVm(vm.Name, vm.Id, vm.PowerState == VmPowerState.Running, vm.IsClustered, node.Name, pool);
                    sim.Place(pool);
                    ranked.Add((sim, PriorityOf(policy, vm)));
                }
            }

            var priority = 1;
            foreach (var (vm, _) in ranked.OrderBy(r => r.Rank))
            {
                vm.Priority = priority++;
            }

            Vms = [.. ranked.Select(r => r.Vm).OrderBy(v => v.Priority)];
        }

        public List<SimNode> Nodes { get; }

        public List<SimVm> Vms { get; }

        /// <summary>
        /// The lowest-priority VMs of each GPU model beyond what the new count gives the cluster: they can't keep a
        /// partition whatever the order, so the plan says so and frees theirs first.
        /// </summary>
        public List<SimVm> ChooseLosers(int partitionCount)
        {
            var losers = new List<SimVm>();
            foreach (var model in Vms.GroupBy(v => v.Home.Model, StringComparer.OrdinalIgnoreCase))
            {
                var capacity = Nodes.SelectMany(n => n.Pools)
                    .Where(p => string.Equals(p.Model, model.Key, StringComparison.OrdinalIgnoreCase))
                    .Sum(p => p.CapacityAt(partitionCount));
                var demand = model.Count();
                foreach (var vm in model.OrderBy(v => v.Priority).Skip(capacity))
                {
                    vm.LossReason = string.Create(
                        CultureInfo.InvariantCulture,
                        $"at count {partitionCount} the cluster has {capacity} {(model.Key.Length == 0 ? "GPU" : model.Key)} partition(s) for {demand} VMs, and it ranks {vm.Priority} (policy rule order, then running before off, then name).");
                    losers.Add(vm);
                }
            }

            return losers;
        }

        /// <summary>A pool of the VM's model with a free partition on a node not in <paramref name="excluded"/>, by strategy; changed nodes first.</summary>
        public SimPool? Target(SimVm vm, SimPool from, IReadOnlySet<SimNode> excluded, PlacementStrategy strategy)
        {
            var candidates = Nodes
                .Where(n => !excluded.Contains(n) && n != from.Node)
                .SelectMany(n => n.Pools)
                .Where(p => p.Free > 0 && string.Equals(p.Model, from.Model, StringComparison.OrdinalIgnoreCase));
            var ordered = candidates.OrderByDescending(p => p.Node.Changed);
            ordered = strategy == PlacementStrategy.Pack ? ordered.ThenBy(p => p.Free) : ordered.ThenByDescending(p => p.Free);
            return ordered.ThenBy(p => p.Node.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
        }

        /// <summary>Failover headroom of the cluster as simulated, with <paramref name="changing"/> nodes' partitions unusable.</summary>
        public StageHeadroom Headroom(string cluster, IReadOnlySet<SimNode> changing)
        {
            var nodes = Nodes.Select(n => n.AsCapacity(changing.Contains(n))).ToList();
            var headroom = FailoverHeadroom.Compute(cluster, nodes);
            var worst = headroom.Worst;
            return new StageHeadroom(nodes.Sum(n => n.FreeByModel.Values.Sum()), headroom.SurvivesAnyNodeLoss, worst?.Node, worst?.Short ?? 0);
        }
    }

    private sealed class SimNode
    {
        public SimNode(NodeInventory source)
        {
            Source = source;
            Pools = [.. source.Gpus
                .Where(g => g.ValidPartitionCounts.Count > 0)
                .GroupBy(g => g.Model, StringComparer.OrdinalIgnoreCase)
                .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
                .Select(g => new SimPool(this, g.Key, [.. g]))];
        }

        public NodeInventory Source { get; }

        public string Name => Source.Node;

        public List<SimPool> Pools { get; }

        public bool Changed { get; set; }

        /// <summary>The pool a VM's partition is in: its adapter's GPU, else the node's only (or first) model.</summary>
        public SimPool PoolOf(VmInventory vm)
        {
            var model = vm.PartitionAdapters
                .Select(a => Source.Gpus.FirstOrDefault(g => string.Equals(g.InstancePath, a.GpuInstancePath, StringComparison.OrdinalIgnoreCase))?.Model)
                .FirstOrDefault(m => m is not null);
            var pool = Pools.FirstOrDefault(p => string.Equals(p.Model, model, StringComparison.OrdinalIgnoreCase)) ?? Pools.FirstOrDefault();
            if (pool is null)
            {
                // A VM with an adapter on a node without a partitionable GPU: it holds nothing the plan can count.
                pool = new SimPool(this, string.Empty, []);
                Pools.Add(pool);
            }

            return pool;
        }

        /// <summary>The node as failover headroom counts it: free partitions per model (none while changing) and its clustered GPU VMs.</summary>
        public NodeCapacity AsCapacity(bool changing)
        {
            var free = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            foreach (var pool in Pools)
            {
                free[pool.Model] = free.GetValueOrDefault(pool.Model) + (changing ? 0 : pool.Free);
            }

            return new NodeCapacity(Name, free, [.. Pools.SelectMany(p => p.Holders.Where(v => v.IsClustered).Select(v => new GpuVm(v.Name, p.Model)))]);
        }
    }

    /// <summary>One node's partitions of one GPU model, and the VMs holding them.</summary>
    private sealed class SimPool(SimNode node, string model, List<GpuInventory> gpus)
    {
        private int? _changedTo;

        public SimNode Node { get; } = node;

        public string Model { get; } = model;

        public List<GpuInventory> Gpus { get; } = gpus;

        public List<SimVm> Holders { get; } = [];

        public int Capacity => Gpus.Where(IsUsable).Sum(CountOf);

        public int Free => Math.Max(0, Capacity - Holders.Count);

        public int CapacityAt(int partitionCount) => Gpus.Where(IsUsable).Sum(_ => partitionCount);

        private int CountOf(GpuInventory gpu) => _changedTo ?? gpu.PartitionCount;

        public void ChangeCount(int partitionCount) => _changedTo = partitionCount;

        /// <summary>Only a partitioned, healthy GPU gives partitions (as <see cref="FailoverHeadroom"/> counts them).</summary>
        private static bool IsUsable(GpuInventory gpu)
            => gpu.AssignedStatus == GpuAssignedStatus.Partitioned
                && gpu.PnpErrorCode == 0
                && string.Equals(gpu.PnpStatus, "OK", StringComparison.OrdinalIgnoreCase);
    }

    private sealed class SimVm(string name, Guid id, bool isRunning, bool isClustered, string originalNode, SimPool home)
    {
        private SimPool _lastPool = home;

        public string Name { get; } = name;

        public Guid Id { get; } = id;

        public bool IsRunning { get; } = isRunning;

        public bool IsClustered { get; } = isClustered;

        public string OriginalNode { get; } = originalNode;

        /// <summary>The pool it holds a partition in now; null while it holds none (stopped for a change, or lost).</summary>
        public SimPool? Pool { get; private set; } = home;

        /// <summary>The pool of the node it was last placed on: where it gets its partition back after a change.</summary>
        public SimPool Home => Pool ?? _lastPool;

        public int Priority { get; set; }

        public TimeSpan Downtime { get; set; }

        public string? LossReason { get; set; }

        public void Place(SimPool pool)
        {
            pool.Holders.Add(this);
            Pool = pool;
            _lastPool = pool;
        }

        public void Vacate()
        {
            Pool?.Holders.Remove(this);
            Pool = null;
        }
    }
}
