using FsCheck.Xunit;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Rollout;

/// <summary>
/// Random clusters, counts and options: every plan, replayed step by step by this test (not by the planner), never
/// puts more VMs on a node's GPUs of one model than they have partitions, empties each node before its count
/// changes, ends homogeneous, and takes a partition from a VM only when the new count leaves no room for it.
/// </summary>
public sealed class RolloutPlanPropertyTests
{
    private static readonly int[] Counts = [16, 8, 4, 2];

    [Property(MaxTest = 300)]
    public void Every_plan_replays_within_capacity_ends_homogeneous_and_loses_only_what_it_must(int seed)
    {
        var random = new Random(seed);
        var cluster = RandomCluster(random);
        var moves = (MovePolicy)random.Next(3);
        var request = new RolloutPlanRequest(Sample.Cluster, Counts[random.Next(Counts.Length)], 1 + random.Next(3), moves, (PlacementStrategy)random.Next(2));

        var plan = RolloutPlanner.Plan("p", request, cluster, ProvisioningPolicy.Default, Sample.Start, TimeSpan.FromMinutes(15), RolloutEstimates.Default);

        Assert.True(plan.CanApply, string.Join("; ", plan.Blockers.Select(b => b.Message)));
        var replay = new Replay(cluster, request.PartitionCount);
        foreach (var stage in plan.Stages)
        {
            Assert.True(stage.Nodes.Count <= request.MaxNodesAtOnce);
            replay.Run(stage, first: stage.Number == 1);
        }

        // Homogeneous: every partitionable GPU of every node was changed (or already at the count).
        var changed = plan.Stages.SelectMany(s => s.Nodes).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.All(cluster.PartitionableGpus, x => Assert.True(x.Gpu.PartitionCount == request.PartitionCount || changed.Contains(x.Node)));

        // Lost only when there is no room. The new count leaves room for the highest-priority VMs of each model; the
        // excess are the lowest-priority ones.
        var lost = replay.Lost;
        Assert.Equal(plan.Vms.Where(v => v.FinalNode is null).Select(v => v.VmId).ToHashSet(), lost);
        Assert.Equal(lost.Count, plan.LosingPartitions.Count);
        var gpuVms = cluster.Nodes.SelectMany(n => n.Vms.Where(v => v.HasPartition).Select(v => (Node: n.Node, Vm: v))).ToList();
        var excess = gpuVms
            .GroupBy(x => replay.ModelOf[x.Vm.Id])
            .SelectMany(g => g.OrderBy(x => RolloutPlanner.PriorityOf(ProvisioningPolicy.Default, x.Vm)).Skip(replay.FinalCapacity(g.Key)))
            .ToList();
        if (moves != MovePolicy.Never && replay.AllClustered)
        {
            Assert.Equal(excess.Select(x => x.Vm.Id).ToHashSet(), lost);
        }
        else
        {
            // Without moves, a node keeps every VM its new partitions can hold (of those the count leaves room for).
            Assert.Superset(excess.Select(x => x.Vm.Id).ToHashSet(), lost);
            foreach (var node in cluster.Nodes.Where(n => moves == MovePolicy.Never))
            {
                var keepers = gpuVms.Count(x => x.Node == node.Node) - excess.Count(x => x.Node == node.Node);
                Assert.Equal(Math.Min(replay.FinalCapacity(node), keepers), replay.HeldOn(node.Node));
            }
        }
    }

    [Property(MaxTest = 200)]
    public void A_plan_that_can_be_applied_keeps_the_policys_reserve_after_every_stage_and_a_blocked_one_would_not(int seed, bool nPlusOne)
    {
        var random = new Random(seed);
        var cluster = RandomCluster(random);
        var policy = nPlusOne
            ? new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne)
            : new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: random.Next(8));
        var request = new RolloutPlanRequest(Sample.Cluster, Counts[random.Next(Counts.Length)], 1 + random.Next(2));

        var plan = RolloutPlanner.Plan("p", request, cluster, policy, Sample.Start, TimeSpan.FromMinutes(15), RolloutEstimates.Default);

        // The reserve as this test computes it from its own replay of the plan, not from the plan's figures.
        var replay = new Replay(cluster, request.PartitionCount);
        bool Holds() => nPlusOne ? replay.SurvivesAnyNodeLoss() : replay.FreePartitions() >= policy.ReservePartitions;
        var heldBefore = Holds();
        var heldAfterEveryStage = true;
        foreach (var stage in plan.Stages)
        {
            replay.Run(stage, first: stage.Number == 1);
            heldAfterEveryStage &= Holds();
        }

        var blockedForReserve = plan.Blockers.Any(b => b.Code == RequestCodes.HeadroomReserved);
        Assert.Equal(heldBefore && !heldAfterEveryStage, blockedForReserve);
        if (plan.CanApply && heldBefore)
        {
            Assert.True(heldAfterEveryStage);
        }
    }

    /// <summary>Up to 5 nodes of 1–3 GPUs (a model per node), counts from the valid ones, some VMs holding partitions, running or off, clustered or not.</summary>
    private static ClusterInventory RandomCluster(Random random)
    {
        var nodes = new List<NodeInventory>();
        for (var n = 0; n < 1 + random.Next(5); n++)
        {
            var name = $"node{n + 1}";
            var model = random.Next(4) == 0 ? "A16" : "A2";
            var gpus = new List<GpuInventory>();
            var vms = new List<VmInventory>();
            for (var g = 0; g < 1 + random.Next(3); g++)
            {
                var path = $"gpu-{name}-{g}";
                var count = Counts[random.Next(Counts.Length)];
                var holders = Enumerable.Range(0, random.Next(count + 1)).Select(i => $"{name}-g{g}-vm{i}").ToList();
                gpus.Add(Sample.Gpu(path, count, holders, model: model));
                vms.AddRange(holders.Select(h => Sample.Vm(h, name, path) with
                {
                    PowerState = random.Next(3) == 0 ? VmPowerState.Off : VmPowerState.Running,
                    IsClustered = random.Next(6) != 0,
                }));
            }

            nodes.Add(new NodeInventory(name, Sample.Start, new HostFacts(random.Next(2) == 0 ? "26100" : "20348", true, true), gpus, vms));
        }

        return new ClusterInventory(Sample.Cluster, nodes);
    }

    /// <summary>The plan's steps applied to a model of the cluster kept by the test, checking capacity at every point.</summary>
    private sealed class Replay
    {
        private readonly ClusterInventory _cluster;
        private readonly int _count;
        private readonly HashSet<string> _changed = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<Guid, (string Node, string Model)> _holding = [];
        private readonly Dictionary<Guid, bool> _running;
        private readonly HashSet<Guid> _clustered;

        public Replay(ClusterInventory cluster, int count)
        {
            _cluster = cluster;
            _count = count;
            foreach (var node in cluster.Nodes)
            {
                foreach (var vm in node.Vms.Where(v => v.HasPartition))
                {
                    var model = node.Gpus.Single(g => g.InstancePath == vm.PartitionAdapters[0].GpuInstancePath).Model;
                    _holding[vm.Id] = (node.Node, model);
                    ModelOf[vm.Id] = model;
                }
            }

            _running = cluster.Nodes.SelectMany(n => n.Vms).ToDictionary(v => v.Id, v => v.PowerState == VmPowerState.Running);
            _clustered = [.. cluster.Nodes.SelectMany(n => n.Vms).Where(v => v.IsClustered).Select(v => v.Id)];
            Demand = ModelOf.Values.GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());
            AllClustered = cluster.Nodes.SelectMany(n => n.Vms).Where(v => v.HasPartition).All(v => v.IsClustered);
        }

        public Dictionary<Guid, string> ModelOf { get; } = [];

        public Dictionary<string, int> Demand { get; }

        public bool AllClustered { get; }

        public HashSet<Guid> Lost { get; } = [];

        /// <summary>Free partitions across the cluster now (every GPU of the generator is partitioned and healthy).</summary>
        public int FreePartitions() => _cluster.Nodes.Sum(n => n.Gpus.Select(g => g.Model).Distinct().Sum(m => Free(n, m)));

        /// <summary>N+1 as Failover Clustering needs it: each node's clustered GPU VMs fit in the free partitions of their model on the other nodes.</summary>
        public bool SurvivesAnyNodeLoss()
            => _cluster.Nodes.All(node => node.Gpus.Select(g => g.Model).Distinct().All(model =>
                _holding.Count(h => h.Value.Node == node.Node && h.Value.Model == model && _clustered.Contains(h.Key))
                    <= _cluster.Nodes.Where(o => o != node).Sum(o => Free(o, model))));

        private int Free(NodeInventory node, string model)
            => node.Gpus.Where(g => g.Model == model).Sum(g => _changed.Contains(node.Node) ? _count : g.PartitionCount)
                - _holding.Values.Count(h => h.Node == node.Node && h.Model == model);

        public int HeldOn(string node) => _holding.Values.Count(h => string.Equals(h.Node, node, StringComparison.OrdinalIgnoreCase));

        public int FinalCapacity(string model) => _cluster.Nodes.Sum(n => n.Gpus.Where(g => g.Model == model).Sum(_ => _count));

        public int FinalCapacity(NodeInventory node) => node.Gpus.Count * _count;

        public void Run(RolloutStage stage, bool first)
        {
            var changing = stage.Nodes.ToHashSet(StringComparer.OrdinalIgnoreCase);
            var steps = stage.Steps.ToDictionary(s => s.VmId);
            foreach (var step in stage.Steps)
            {
                Assert.Equal(_running[step.VmId], step.WasRunning);
                Assert.True(_holding.TryGetValue(step.VmId, out var at), $"{step.VmName} has a step but holds no partition");
                Assert.Equal(at.Node, step.FromNode, StringComparer.OrdinalIgnoreCase);
                Assert.True(first || step.Kind != VmStepKind.LosePartition || changing.Contains(step.FromNode), "only the first stage takes partitions from VMs on other nodes");
            }

            // 1. Every VM holding a partition on a changing node has a step; moves land on a node not changing, within capacity.
            foreach (var (id, at) in _holding.Where(h => changing.Contains(h.Value.Node)).ToList())
            {
                Assert.True(steps.ContainsKey(id), $"VM {id} on {at.Node} holds a partition but has no step: {at.Node}'s count can't change");
            }

            foreach (var step in stage.Steps)
            {
                var at = _holding[step.VmId];
                _holding.Remove(step.VmId);
                if (step.Kind is VmStepKind.LiveMigrate or VmStepKind.Move)
                {
                    Assert.DoesNotContain(step.ToNode!, changing);
                    _holding[step.VmId] = (step.ToNode!, at.Model);
                    AssertWithinCapacity(changing);
                }
                else if (step.Kind == VmStepKind.LosePartition && !changing.Contains(step.FromNode))
                {
                    Lost.Add(step.VmId);
                }
            }

            Assert.DoesNotContain(_holding.Values, h => changing.Contains(h.Node));

            // 2. The count changes; 3. stopped VMs get partitions back where the step says.
            _changed.UnionWith(changing);
            foreach (var step in stage.Steps.Where(s => s.Kind is VmStepKind.StopInPlace or VmStepKind.StopAndMoveAfter or VmStepKind.LosePartition && changing.Contains(s.FromNode)))
            {
                if (step.ToNode is null)
                {
                    Lost.Add(step.VmId);
                    continue;
                }

                Assert.Equal(step.Kind == VmStepKind.StopInPlace, string.Equals(step.ToNode, step.FromNode, StringComparison.OrdinalIgnoreCase));
                _holding[step.VmId] = (step.ToNode, ModelOf[step.VmId]);
                AssertWithinCapacity(new HashSet<string>());
            }
        }

        private void AssertWithinCapacity(IReadOnlySet<string> changing)
        {
            // A changing node is still being emptied (checked empty once all its VMs have left).
            foreach (var node in _cluster.Nodes.Where(n => !changing.Contains(n.Node)))
            {
                foreach (var model in node.Gpus.Select(g => g.Model).Distinct())
                {
                    var capacity = node.Gpus.Where(g => g.Model == model).Sum(g => _changed.Contains(node.Node) ? _count : g.PartitionCount);
                    var held = _holding.Values.Count(h => h.Node == node.Node && h.Model == model);
                    Assert.True(held <= capacity, $"{node.Node} holds {held} {model} partitions of {capacity}");
                }

                Assert.DoesNotContain(_holding.Values, h => h.Node == node.Node && node.Gpus.All(g => g.Model != h.Model));
            }
        }
    }
}
