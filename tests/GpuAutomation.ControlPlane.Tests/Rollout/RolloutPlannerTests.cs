using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Rollout;

public sealed class RolloutPlannerTests
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(15);

    [Fact]
    public void Doubling_the_count_of_a_full_cluster_without_moves_stops_each_vm_only_while_its_own_node_changes()
    {
        var cluster = Cluster(Sample.Node("node1", Sample.Start, 2, withPartition: 2), Sample.Node("node2", Sample.Start, 2, withPartition: 2));

        var plan = Plan(cluster, 4);

        Assert.True(plan.CanApply);
        Assert.Equal([["node1"], ["node2"]], plan.Stages.Select(s => s.Nodes));
        Assert.All(plan.Stages, s => Assert.All(s.Steps, step => Assert.Equal((VmStepKind.StopInPlace, step.FromNode), (step.Kind, step.ToNode))));
        Assert.Equal(["node1-gpuvm0", "node1-gpuvm1"], plan.Stages[0].Steps.Select(s => s.VmName));
        Assert.Empty(plan.LosingPartitions);
        Assert.All(plan.Vms, vm => Assert.Equal(vm.FromNode, vm.FinalNode));

        // Stop 60 + remove 10 + change 30 + add 10 + start 90 (the default estimates).
        Assert.All(plan.Vms, vm => Assert.Equal(TimeSpan.FromSeconds(200), vm.Downtime));

        // While node1 changes, node2 is full: node2 can't restart anything, and after the change 4 + 4 partitions hold 4 VMs.
        Assert.Equal((0, false), (plan.Stages[0].During.FreePartitions, plan.Stages[0].During.SurvivesAnyNodeLoss));
        Assert.Equal((4, true), (plan.Stages[1].After.FreePartitions, plan.Stages[1].After.SurvivesAnyNodeLoss));
    }

    [Fact]
    public void With_moves_allowed_the_emptiest_node_changes_first_and_takes_the_vms_of_the_next()
    {
        var cluster = Cluster(Sample.Node("node1", Sample.Start, 4, withPartition: 4), Sample.Node("node2", Sample.Start, 4, withPartition: 0));

        var plan = Plan(cluster, 2, moves: MovePolicy.WhenOff);

        Assert.Equal([["node2"], ["node1"]], plan.Stages.Select(s => s.Nodes));
        Assert.Empty(plan.Stages[0].Steps);
        var steps = plan.Stages[1].Steps;
        Assert.Equal(2, steps.Count(s => s.Kind == VmStepKind.Move && s.ToNode == "node2"));
        Assert.Equal(2, steps.Count(s => s.Kind == VmStepKind.StopInPlace && s.ToNode == "node1"));
        Assert.Empty(plan.LosingPartitions);

        // Running VMs that move while off: stop 60 + move 15 + start 90.
        Assert.All(steps.Where(s => s.Kind == VmStepKind.Move), s => Assert.Equal(TimeSpan.FromSeconds(165), s.Downtime));
    }

    [Fact]
    public void A_running_vm_is_live_migrated_only_when_both_nodes_have_the_os_build_for_gpu_p_live_migration()
    {
        var old = Sample.Node("node2", Sample.Start, 4, withPartition: 0);
        var cluster = Cluster(Sample.Node("node1", Sample.Start, 4, withPartition: 1), old);

        var live = Plan(cluster, 2, moves: MovePolicy.LiveMigrate).Stages.SelectMany(s => s.Steps).Single();
        var notLive = Plan(Cluster(cluster.Nodes[0], old with { Host = old.Host with { OsBuild = "20348" } }), 2, moves: MovePolicy.LiveMigrate).Stages.SelectMany(s => s.Steps).Single();

        Assert.Equal((VmStepKind.LiveMigrate, TimeSpan.Zero), (live.Kind, live.Downtime));
        Assert.Equal(VmStepKind.Move, notLive.Kind);
        Assert.Contains("26100", notLive.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void When_the_new_count_gives_fewer_partitions_than_vms_hold_the_lowest_priority_vms_lose_theirs_in_the_first_stage()
    {
        var cluster = Cluster(Sample.Node("node1", Sample.Start, 4, withPartition: 4), Sample.Node("node2", Sample.Start, 4, withPartition: 4));
        var policy = new ProvisioningPolicy([new ProvisioningRule("important", NamePattern: "node2-*")]);

        var plan = RolloutPlanner.Plan("p1", new RolloutPlanRequest(Sample.Cluster, 2, Moves: MovePolicy.WhenOff), cluster, policy, Sample.Start, MaxAge, RolloutEstimates.Default);

        Assert.True(plan.CanApply);
        var losers = plan.Vms.Where(v => v.FinalNode is null).Select(v => v.VmName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["node1-gpuvm0", "node1-gpuvm1", "node1-gpuvm2", "node1-gpuvm3"], losers);
        Assert.Equal(4, plan.LosingPartitions.Count);
        Assert.All(plan.LosingPartitions, n => Assert.Equal(RolloutCodes.PartitionLost, n.Code));
        Assert.Contains("4 A2 partition(s) for 8 VMs", plan.LosingPartitions[0].Message, StringComparison.Ordinal);
        Assert.Equal(4, plan.Stages[0].Steps.Count(s => s.Kind == VmStepKind.LosePartition));
        Assert.All(plan.Vms.Where(v => v.VmName.StartsWith("node2-", StringComparison.Ordinal)), v => Assert.NotNull(v.FinalNode));
    }

    [Fact]
    public void Nodes_change_together_up_to_max_nodes_at_once()
        => Assert.Equal(
            [["node1", "node2"], ["node3"]],
            Plan(Cluster(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start), Sample.Node("node3", Sample.Start, withPartition: 1)), 2, maxNodesAtOnce: 2).Stages.Select(s => s.Nodes));

    [Fact]
    public void Stale_inventory_and_a_count_some_gpu_does_not_offer_block_the_plan_and_say_why()
    {
        var cluster = Cluster(Sample.Node("node1", Sample.Start - TimeSpan.FromHours(1)), Sample.Node("node2", Sample.Start));

        var plan = Plan(cluster, 3);

        Assert.False(plan.CanApply);
        Assert.Empty(plan.Stages);
        Assert.Equal([RequestCodes.InvalidPartitionCount, RequestCodes.InvalidPartitionCount, RequestCodes.InventoryStale], plan.Blockers.Select(b => b.Code));
        Assert.Contains("node1 (60 min old)", plan.Blockers[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_already_at_the_count_needs_no_stage()
        => Assert.Empty(Plan(Cluster(Sample.Node("node1", Sample.Start, 4, withPartition: 2)), 4).Stages);

    [Fact]
    public void The_plan_records_the_snapshots_it_was_made_from()
    {
        var node = Sample.Node("node1", Sample.Start) with { AgentStart = Guid.NewGuid(), Sequence = 7 };

        var mark = Assert.Single(Plan(Cluster(node), 2).Inventory);

        Assert.Equal(("node1", Sample.Start, node.AgentStart, (long?)7, InventoryMark.FingerprintOf(node)), (mark.Node, mark.TakenAt, mark.AgentStart, mark.Sequence, mark.Fingerprint));
    }

    [Fact]
    public void A_plan_that_ends_below_the_policys_reserve_is_blocked_when_the_policy_refuses_and_warned_when_it_warns()
    {
        var cluster = Cluster(Sample.Node("node1", Sample.Start, 4, withPartition: 2), Sample.Node("node2", Sample.Start, 4, withPartition: 2));
        var refuse = new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne);
        var warn = refuse with { OnReserveBreach = ReserveBreachAction.Warn };

        // 4 -> 2: four partitions for four VMs, none left to restart a lost node's VMs.
        var blocked = RolloutPlanner.Plan("p1", new RolloutPlanRequest(Sample.Cluster, 2), cluster, refuse, Sample.Start, MaxAge, RolloutEstimates.Default);
        var warned = RolloutPlanner.Plan("p2", new RolloutPlanRequest(Sample.Cluster, 2), cluster, warn, Sample.Start, MaxAge, RolloutEstimates.Default);
        var growing = RolloutPlanner.Plan("p3", new RolloutPlanRequest(Sample.Cluster, 8), cluster, refuse, Sample.Start, MaxAge, RolloutEstimates.Default);

        Assert.False(blocked.CanApply);
        Assert.Contains("After stage(s) 1, 2 the cluster stays below the n+1 reserve", Assert.Single(blocked.Blockers, b => b.Code == RequestCodes.HeadroomReserved).Message, StringComparison.Ordinal);
        Assert.True(warned.CanApply);
        Assert.Equal(2, warned.Warnings.Count(w => w.Code == RequestCodes.HeadroomReserved));
        Assert.True(growing.CanApply);
        Assert.Contains(growing.Warnings, w => w.Code == RequestCodes.HeadroomReserved && w.Message.StartsWith("While stage(s) 1, 2 run", StringComparison.Ordinal));
    }

    internal static ClusterInventory Cluster(params NodeInventory[] nodes) => new(Sample.Cluster, nodes);

    private static RolloutPlan Plan(ClusterInventory cluster, int count, MovePolicy moves = MovePolicy.Never, int maxNodesAtOnce = 1)
        => RolloutPlanner.Plan("p1", new RolloutPlanRequest(Sample.Cluster, count, maxNodesAtOnce, moves), cluster, ProvisioningPolicy.Default, Sample.Start, MaxAge, RolloutEstimates.Default);
}
