using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Rollout;

/// <summary>
/// Applying a plan over the real core, with a small agent in the test that does what each published command asks of
/// the node's inventory and reports the result with the inventory after, as the HostRunner does.
/// </summary>
public sealed class RolloutRunnerTests : IDisposable
{
    private readonly ControlPlaneHarness _plane = new(Backends.InMemory());
    private readonly Dictionary<string, NodeInventory> _nodes = new(StringComparer.OrdinalIgnoreCase);

    public void Dispose() => _plane.Dispose();

    [Fact]
    public async Task Two_running_vms_per_node_go_from_2_to_4_partitions_node_by_node_and_end_running_with_their_partitions()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 2, without: 0), Sample.Node("node2", Sample.Start, 2, withPartition: 2, without: 0));
        var plan = await PlanAsync(4);

        var run = await Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default);
        run = await DriveAsync(run);

        Assert.True(run.Status == RolloutStatus.Succeeded, run.Note?.Message);
        Assert.All(_nodes.Values.SelectMany(n => n.Gpus), g => Assert.Equal((4, 2), (g.PartitionCount, g.Partitions.Count)));
        Assert.All(_nodes.Values.SelectMany(n => n.Vms), vm => Assert.Equal((true, VmPowerState.Running), (vm.HasPartition, vm.PowerState)));

        // Every step was an ordinary request from the rollout: per node 2 unassigns, the count change, 2 assigns.
        var stored = (await _plane.Requests.ListAsync(new RequestListQuery(Sample.Cluster, PageSize: 100), default)).Requests;
        Assert.All(stored, r => Assert.Equal((RequestOrigin.Rollout, "operator", RequestStatus.Succeeded), (r.Origin, r.RequestedBy, r.Status)));
        Assert.Equal(10, stored.Count);
        Assert.Equal(stored.Select(r => r.Id).Order(), run.Requests.Order());
        var node1 = stored.Where(r => r.Node == "node1").OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => r.Action).ToList();
        Assert.Equal([PartitionAction.Unassign, PartitionAction.Unassign, PartitionAction.ConfigurePartitionCount, PartitionAction.Assign, PartitionAction.Assign], node1);
    }

    [Fact]
    public async Task A_plan_the_inventory_moved_away_from_is_refused_as_outdated()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 1, without: 1));
        var plan = await PlanAsync(4);
        var changed = Sample.Node("node1", Sample.Start.AddMinutes(1), 2, withPartition: 2, without: 0);
        await SeedAsync(changed);

        var refusal = await Assert.ThrowsAsync<ControlPlaneException>(() => Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default));

        Assert.Equal(RolloutCodes.PlanOutdated, refusal.Code);
        Assert.Null(await Runner.GetRunAsync(Sample.Cluster, plan.Id, default));
    }

    [Fact]
    public async Task A_newer_snapshot_showing_the_same_thing_does_not_outdate_the_plan()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 1, without: 1));
        var plan = await PlanAsync(4);
        _plane.Time.Advance(TimeSpan.FromMinutes(1));
        await SeedAsync(Sample.Node("node1", Sample.Start.AddMinutes(1), 2, withPartition: 1, without: 1));

        Assert.Equal(RolloutStatus.Running, (await Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default)).Status);
    }

    [Fact]
    public async Task A_failed_count_change_stops_the_rollout_saying_what_is_left_to_do()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 1, without: 0), Sample.Node("node2", Sample.Start, 2, withPartition: 1, without: 0));
        var plan = await PlanAsync(4);

        var run = await DriveAsync(await Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default), failAction: PartitionAction.ConfigurePartitionCount);

        Assert.Equal((RolloutStatus.Failed, 0, RolloutPhase.ChangeCount), (run.Status, run.Stage, run.Phase));
        Assert.Equal("hyperv-job-failed", run.Note!.Code);
        Assert.Contains("stage 1 of 2 (node1), phase ChangeCount", run.Note.Message, StringComparison.Ordinal);
        Assert.Contains("Left to do: set 4 partitions on node1; assign node1-gpuvm0 again; unassign node2-gpuvm0; set 4 partitions on node2; assign node2-gpuvm0 again.", run.Note.Message, StringComparison.Ordinal);
        Assert.Equal(2, _nodes["node2"].Gpus[0].PartitionCount);
    }

    [Fact]
    public async Task Two_instances_advancing_the_same_run_at_once_submit_each_request_once()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 2, without: 0));
        var plan = await PlanAsync(4);
        await Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default);
        await ExecuteAsync(await Runner.GetRunAsync(Sample.Cluster, plan.Id, default));

        await Task.WhenAll(Runner.ReconcileAsync(Sample.Cluster, plan.Id, default), Runner.ReconcileAsync(Sample.Cluster, plan.Id, default));

        var stored = (await _plane.Requests.ListAsync(new RequestListQuery(Sample.Cluster, PageSize: 100), default)).Requests;
        Assert.Equal(3, stored.Count);
        Assert.Single(stored, r => r.Action == PartitionAction.ConfigurePartitionCount);
    }

    [Fact]
    public async Task Paused_it_submits_nothing_resumed_it_goes_on_cancelled_it_stops_for_good()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 2, withPartition: 1, without: 0), Sample.Node("node2", Sample.Start, 2, withPartition: 1, without: 0));
        var plan = await PlanAsync(4);
        var run = await Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default);
        await Runner.PauseAsync(Sample.Cluster, plan.Id, default);
        await ExecuteAsync(run);

        var paused = await Runner.ReconcileAsync(Sample.Cluster, plan.Id, default);
        Assert.Equal((RolloutStatus.Paused, RolloutPhase.Vacate), (paused!.Status, paused.Phase));

        var resumed = await Runner.ResumeAsync(Sample.Cluster, plan.Id, default);
        Assert.Equal((RolloutStatus.Running, RolloutPhase.ChangeCount), (resumed.Status, resumed.Phase));

        var cancelled = await Runner.CancelAsync(Sample.Cluster, plan.Id, "operator", default);
        Assert.Equal(RolloutStatus.Cancelled, cancelled.Status);
        Assert.Contains("Left to do: set 4 partitions on node1; assign node1-gpuvm0 again; unassign node2-gpuvm0;", cancelled.Note!.Message, StringComparison.Ordinal);
        await ExecuteAsync(cancelled);
        Assert.Equal(RolloutStatus.Cancelled, (await Runner.ReconcileAsync(Sample.Cluster, plan.Id, default))!.Status);
        Assert.Equal(RolloutCodes.RolloutNotRunning, (await Assert.ThrowsAsync<ControlPlaneException>(() => Runner.ResumeAsync(Sample.Cluster, plan.Id, default))).Code);
    }

    [Fact]
    public async Task A_plan_that_moves_vms_is_not_applied_yet()
    {
        await SeedAsync(Sample.Node("node1", Sample.Start, 4, withPartition: 1, without: 0), Sample.Node("node2", Sample.Start, 4, withPartition: 0, without: 0));
        var plan = await _plane.Get<RolloutPlanning>().PlanAsync(new RolloutPlanRequest(Sample.Cluster, 2, Moves: GpuAutomation.ControlPlane.Capacity.MovePolicy.WhenOff), default);

        Assert.Equal(RolloutCodes.MovesNotBuilt, (await Assert.ThrowsAsync<ControlPlaneException>(() => Runner.ApplyAsync(Sample.Cluster, plan.Id, "operator", default))).Code);
    }

    private RolloutRunner Runner => _plane.Get<RolloutRunner>();

    private Task<RolloutPlan> PlanAsync(int count)
        => _plane.Get<RolloutPlanning>().PlanAsync(new RolloutPlanRequest(Sample.Cluster, count), default);

    private async Task SeedAsync(params NodeInventory[] nodes)
    {
        foreach (var node in nodes)
        {
            _nodes[node.Node] = node;
        }

        await _plane.SeedAsync(nodes);
    }

    /// <summary>Executes and reconciles until the run ends (or stops moving).</summary>
    private async Task<RolloutRun> DriveAsync(RolloutRun run, PartitionAction? failAction = null)
    {
        for (var i = 0; i < 50 && run.Status == RolloutStatus.Running; i++)
        {
            await ExecuteAsync(run, failAction);
            _plane.Time.Advance(TimeSpan.FromSeconds(5));
            run = (await Runner.ReconcileAsync(run.Cluster, run.PlanId, default))!;
        }

        return run;
    }

    /// <summary>The test's agent: every request of the run's current phase still open is done to the inventory and reported.</summary>
    private async Task ExecuteAsync(RolloutRun? run, PartitionAction? failAction = null)
    {
        await _plane.DispatchWaitingAsync();
        foreach (var step in run!.Current)
        {
            var request = (await _plane.Requests.GetAsync(step.RequestId, default))!;
            if (request.IsTerminal)
            {
                continue;
            }

            var command = _plane.Bus.Published.Single(p => p.Command.Envelope.MessageId == request.CommandId).Command.Body;
            if (request.Action == failAction)
            {
                await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Failed), default);
                continue;
            }

            // The agent reads its inventory after the change, so it is newer than any snapshot before.
            _plane.Time.Advance(TimeSpan.FromSeconds(1));
            var at = _plane.Time.GetUtcNow();
            var node = _nodes[request.Node];
            node = command switch
            {
                UnassignPartition u => Unassign(node, u.VmId!.Value, u.PowerAfter),
                ConfigurePartitionCount c => node with { Gpus = [.. node.Gpus.Select(g => g with { PartitionCount = c.PartitionCount })] },
                AssignPartition a => Assign(node, a.VmId!.Value, a.PowerAfter),
                _ => throw new InvalidOperationException($"Unexpected {command}"),
            };
            _nodes[request.Node] = node = node with { TakenAt = at };
            await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Succeeded, node), default);
        }
    }

    private static NodeInventory Unassign(NodeInventory node, Guid vmId, PowerAfterChange power)
        => node with
        {
            Gpus = [.. node.Gpus.Select(g => g with { Partitions = [.. g.Partitions.Where(p => p.VmId != vmId)] })],
            Vms = [.. node.Vms.Select(v => v.Id != vmId ? v : v with { PartitionAdapters = [], PowerState = power == PowerAfterChange.LeaveOff ? VmPowerState.Off : v.PowerState })],
        };

    private static NodeInventory Assign(NodeInventory node, Guid vmId, PowerAfterChange power)
    {
        var gpu = node.Gpus.First(g => g.Partitions.Count < g.PartitionCount);
        var vm = node.Vms.Single(v => v.Id == vmId);
        return node with
        {
            Gpus = [.. node.Gpus.Select(g => g != gpu ? g : g with { Partitions = [.. g.Partitions, new GpuPartitionAssignment(g.Partitions.Count, vm.Name, vm.Id, null)] })],
            Vms = [.. node.Vms.Select(v => v.Id != vmId ? v : v with { PartitionAdapters = [new PartitionAdapter("adapter-" + v.Name, gpu.InstancePath, 0, null)], PowerState = power == PowerAfterChange.Start ? VmPowerState.Running : v.PowerState })],
        };
    }
}
