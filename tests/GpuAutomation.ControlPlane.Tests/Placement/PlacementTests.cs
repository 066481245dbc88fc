using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.ControlPlane.Tests.Placement;

/// <summary>Placement (issue 18, item 1): a VM whose node has no free partition moves to one that has, and is assigned there.</summary>
public sealed class PlacementTests
{
    /// <summary>Every GPU has 4 partitions. node1: all held, and VMs node1-vm0 (running) and node1-vm1 without; node2: 4 free; node3: 1 free.</summary>
    private static async Task<ControlPlaneHarness> FullNodeAsync(ProvisioningPolicy policy, VmPowerState vmState = VmPowerState.Running, IRecordTableSource? tables = null, string idPrefix = "")
    {
        var plane = new ControlPlaneHarness(tables ?? Backends.InMemory(), idPrefix);
        var node1 = Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 4, without: 2);
        node1 = node1 with { Vms = [.. node1.Vms.Select(v => v.Name == "node1-vm0" ? v with { PowerState = vmState } : v)] };
        await plane.SeedAsync(
            node1,
            Sample.Node("node2", Sample.Start, partitionCount: 4, withPartition: 0, without: 1),
            Sample.Node("node3", Sample.Start, partitionCount: 4, withPartition: 3, without: 1));
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, policy, Sample.Start, "tester", null, default);
        return plane;
    }

    private static Message MoveResult(ControlPlaneHarness plane, PartitionRequest move, CommandOutcome outcome, MoveMethod method = MoveMethod.StopMoveStart)
    {
        var at = plane.Time.GetUtcNow();
        var placement = outcome == CommandOutcome.Succeeded
            ? new VmPlacement(move.VmName!, move.VmId!.Value, move.Node, move.Placement!.ToNode, method, VmPowerState.Off, "a quick move was asked for a running VM: shut down, move, start")
            : null;
        var error = outcome == CommandOutcome.Succeeded ? null : new CommandError(CommandErrorCodes.NotPossibleOwner, "The cluster did not move group node1-vm0 from node1 to node2 (quick move): the owner node cannot run this resource.", "move-cluster-group", 5071);
        var body = new CommandResult(move.CommandId!, MessageTypes.MoveVm, outcome, [new StepRecord("move-cluster-group", outcome == CommandOutcome.Succeeded ? StepOutcome.Succeeded : StepOutcome.Failed, at, at)], error, null, at, at, placement);
        return Message.Create(body, "result-" + Guid.NewGuid().ToString("N"), move.Cluster, move.Node, at, move.Id);
    }

    private static T Command<T>(ControlPlaneHarness plane, string node)
        => plane.Bus.Published.Where(p => p.Queue.Contains(node, StringComparison.Ordinal)).Select(p => p.Command.Body).OfType<T>().Single();

    [Fact]
    public async Task A_vm_on_a_full_node_moves_where_a_partition_is_free_and_is_assigned_there_once_it_moved()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));

        var outcome = await plane.AssignAsync("node1-vm0");

        // The assignment is accepted on node2, holding its partition there, with no command until the VM is there.
        var assign = outcome.Request;
        Assert.Equal((RequestStatus.Accepted, "node2", (string?)null), (assign.Status, assign.Node, assign.CommandId));
        var placement = assign.Placement!;
        Assert.Equal(("node1", "node2", MoveMode.Quick), (placement.FromNode, placement.ToNode, placement.Mode));
        Assert.Contains("node1 has no free partition; node2 has 4 (strategy spread", placement.Reason, StringComparison.Ordinal);
        Assert.Contains("moves only while off (moves: when-off)", placement.Reason, StringComparison.Ordinal);
        var move = (await plane.Requests.GetAsync(placement.MoveRequestId, default))!;
        Assert.Equal((PartitionAction.Move, "node1", RequestStatus.Dispatched, assign.Id), (move.Action, move.Node, move.Status, move.Placement!.AssignRequestId));
        var moveVm = Command<MoveVm>(plane, "node1");
        Assert.Equal(new MoveVm("node1-vm0", Sample.VmId("node1-vm0"), "node2", MoveMode.Quick, LiveMigrationFallback.StopMoveStart, PowerAfterChange.LeaveOff), moveVm);
        Assert.Single(plane.Bus.Published);
        Assert.Contains((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations, r => r.RequestId == assign.Id && r.Action == PartitionAction.Assign);
        Assert.Contains((await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations, r => r.RequestId == move.Id && r.Action == PartitionAction.Move);

        // The move succeeds: the assignment goes to node2's agent, and starts the VM it stopped for the move.
        Assert.True(await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default));
        await plane.DispatchWaitingAsync();
        var sent = (await plane.Requests.GetAsync(assign.Id, default))!;
        Assert.Equal(RequestStatus.Dispatched, sent.Status);
        Assert.StartsWith("moved by shutting it down and moving it", sent.Placement!.Moved, StringComparison.Ordinal);
        // The move's own record says so too (its page showed "still moving" for good before).
        Assert.Equal(sent.Placement.Moved, (await plane.Requests.GetAsync(move.Id, default))!.Placement!.Moved);
        var assignPartition = Command<AssignPartition>(plane, "node2");
        Assert.Equal(("node1-vm0", PowerAfterChange.Start), (assignPartition.VmName, assignPartition.PowerAfter));
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations);

        await plane.Intake.HandleAsync(plane.Result(sent, CommandOutcome.Succeeded), default);
        Assert.Equal(RequestStatus.Succeeded, (await plane.Requests.GetAsync(assign.Id, default))!.Status);
    }

    [Fact]
    public async Task Without_moves_the_request_is_refused_for_capacity_and_says_why_it_did_not_move()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([]));

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.Equal(RequestCodes.NoFreePartition, outcome.Request.Error?.Code);
        Assert.Contains("Not moved to another node: the cluster policy doesn't move VMs (moves: never).", outcome.Request.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(plane.Bus.Published);
    }

    [Theory]
    [InlineData(PlacementStrategy.Spread, "node2")]
    [InlineData(PlacementStrategy.Pack, "node3")]
    public async Task The_strategy_picks_the_node(PlacementStrategy strategy, string expected)
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff, Strategy: strategy));

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.Equal(expected, outcome.Request.Node);
        Assert.Equal(expected, Command<MoveVm>(plane, "node1").TargetNode);
    }

    [Fact]
    public async Task Live_migrate_moves_a_running_vm_live_and_a_stopped_one_by_a_quick_move()
    {
        using var running = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.LiveMigrate));
        using var stopped = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.LiveMigrate), VmPowerState.Off);

        var live = await running.AssignAsync("node1-vm0");
        var quick = await stopped.AssignAsync("node1-vm0");

        Assert.Equal(MoveMode.Live, live.Request.Placement!.Mode);
        Assert.Equal(MoveMode.Live, Command<MoveVm>(running, "node1").Mode);
        Assert.Equal(MoveMode.Quick, quick.Request.Placement!.Mode);
        Assert.Null(quick.Request.PowerAfter);
    }

    [Fact]
    public async Task A_failed_move_fails_the_assignment_with_the_move_s_reason_and_gives_the_partition_back()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        var move = (await plane.Requests.GetAsync(assign.Placement!.MoveRequestId, default))!;

        await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Failed), default);
        await plane.DispatchWaitingAsync();

        var failed = (await plane.Requests.GetAsync(assign.Id, default))!;
        Assert.Equal((RequestStatus.Failed, RequestCodes.MoveFailed), (failed.Status, failed.Error!.Code));
        Assert.Contains("not-possible-owner", failed.Error.Message, StringComparison.Ordinal);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations);
        Assert.Single(plane.Bus.Published);
    }

    [Fact]
    public async Task The_sweep_sends_an_assignment_whose_move_ended_while_nothing_continued_it()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        // The move's result was applied by an instance that stopped before continuing the placement.
        var move = (await plane.Store.GetAsync(Sample.Cluster, "node1", assign.Placement!.MoveRequestId, default))!;
        await plane.Store.UpdateAsync(move, move.Request with { Status = RequestStatus.Succeeded, CompletedAt = plane.Time.GetUtcNow() }, null, null, null, default);
        var continuation = plane.Get<PlacementContinuation>();

        Assert.Equal(0, await continuation.SweepAsync(default));
        plane.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await continuation.SweepAsync(default));
        Assert.Equal(0, await continuation.SweepAsync(default));
        await plane.DispatchWaitingAsync();

        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(assign.Id, default))!.Status);
        Assert.Equal("node1-vm0", Command<AssignPartition>(plane, "node2").VmName);
    }

    [Fact]
    public async Task The_sweep_ends_an_assignment_whose_move_was_never_written()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var vm = Sample.VmId("node1-vm0");
        var orphan = new PartitionRequest(
            "orphan", null, Sample.Cluster, "node2", PartitionAction.Assign, "node1-vm0", vm, null, [], RequestOrigin.Api, "tester",
            RequestStatus.Accepted, Sample.Start, Sample.Start, null, null, [], [], null, OfflineAction.ForceShutdown,
            Placement: new VmMove("node1", "node2", MoveMode.Quick, "test", "never-written", "orphan"));
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!;
        await plane.Store.CreateAsync(orphan, ledger with { Ledger = ledger.Ledger.Reserve(orphan) }, null, default);
        plane.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, await plane.Get<PlacementContinuation>().SweepAsync(default));

        var ended = (await plane.Requests.GetAsync("orphan", default))!;
        Assert.Equal((RequestStatus.Failed, RequestCodes.MoveFailed), (ended.Status, ended.Error!.Code));
        Assert.Contains("never sent", ended.Error.Message, StringComparison.Ordinal);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);
    }

    [Fact]
    public async Task A_vm_that_is_not_clustered_is_refused_with_the_reason()
    {
        var plane = new ControlPlaneHarness(Backends.InMemory());
        using var _ = plane;
        var node1 = Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 4, without: 1);
        node1 = node1 with { Vms = [.. node1.Vms.Select(v => v.Name == "node1-vm0" ? v with { IsClustered = false, OfflineAction = null } : v)] };
        await plane.SeedAsync(node1, Sample.Node("node2", Sample.Start, partitionCount: 4, withPartition: 0, without: 0));
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Moves: MovePolicy.LiveMigrate), Sample.Start, "tester", null, default);

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.Equal(RequestCodes.NoFreePartition, outcome.Request.Error?.Code);
        Assert.Contains("is not a cluster resource, so it can't move", outcome.Request.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Targets_the_reserve_refuses_are_skipped_and_each_refusal_is_named()
    {
        // 5 partitions free outside node1 (node2 4, node3 1) and 5 reserved: no grant anywhere keeps the reserve.
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: 5, Moves: MovePolicy.WhenOff));

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.Equal(RequestCodes.NoFreePartition, outcome.Request.Error?.Code);
        Assert.Contains("No other node could take it either: node2: ", outcome.Request.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("; node3: ", outcome.Request.Error.Message, StringComparison.Ordinal);
        Assert.Empty(plane.Bus.Published);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);
    }
    /// <summary>The assignment the control plane admitted on the target after the move finished late, found by the link the move carries.</summary>
    private static async Task<PartitionRequest?> LateAssignOfAsync(ControlPlaneHarness plane, string moveId)
        => (await plane.Requests.GetAsync(moveId, default))!.Placement!.LateAssignRequestId is { } id ? await plane.Requests.GetAsync(id, default) : null;

    [Fact]
    public async Task A_move_that_finishes_after_its_time_out_still_gets_the_vm_its_partition_on_the_target()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        var move = (await plane.Requests.GetAsync(assign.Placement!.MoveRequestId, default))!;

        // No result within the time-out: the move times out, and its assignment with it, giving node2's partition back.
        plane.Time.Advance(TimeSpan.FromMinutes(31));
        await plane.Timeouts.TimeOutStaleAsync(default);
        var timedOut = (await plane.Requests.GetAsync(assign.Id, default))!;
        Assert.Equal((RequestStatus.TimedOut, RequestCodes.TimedOut), (timedOut.Status, timedOut.Error!.Code));
        Assert.Equal(RequestStatus.TimedOut, (await plane.Requests.GetAsync(move.Id, default))!.Status);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);

        // The host finishes the move later: the VM is on node2, so it gets its partition there, through admission.
        Assert.True(await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default));
        await plane.DispatchWaitingAsync();

        var late = (await LateAssignOfAsync(plane, move.Id))!;
        Assert.Equal((PartitionAction.Assign, "node2", RequestStatus.Dispatched, "node1-vm0"), (late.Action, late.Node, late.Status, late.VmName));
        Assert.Equal($"late-move:{move.Id}", late.IdempotencyKey);
        Assert.Equal((move.Id, assign.Id, late.Id), (late.Placement!.MoveRequestId, late.Placement.AssignRequestId, late.Placement.LateAssignRequestId));
        var assignPartition = Command<AssignPartition>(plane, "node2");
        Assert.Equal(("node1-vm0", PowerAfterChange.Start), (assignPartition.VmName, assignPartition.PowerAfter));
        Assert.Contains((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations, r => r.RequestId == late.Id);

        // The move's record says the VM moved, late; the timed-out assignment stays TimedOut and links the new one.
        var movedLate = (await plane.Requests.GetAsync(move.Id, default))!;
        Assert.Contains(movedLate.Warnings, w => w.Code == RequestCodes.LateResult);
        Assert.StartsWith("moved late", movedLate.Placement!.Moved, StringComparison.Ordinal);
        var original = (await plane.Requests.GetAsync(assign.Id, default))!;
        Assert.Equal((RequestStatus.TimedOut, late.Id), (original.Status, original.Placement!.LateAssignRequestId));
        Assert.Null(original.Placement.WithoutPartition);

        // Delivered again (an instance that stopped before settling it): nothing more is admitted or sent.
        Assert.False(await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default));
        await plane.DispatchWaitingAsync();
        Assert.Single(plane.Bus.Published, p => p.Command.Body is AssignPartition);
        Assert.Equal(late.Id, (await LateAssignOfAsync(plane, move.Id))!.Id);
    }
    [Fact]
    public async Task A_waiting_assignment_does_not_time_out_while_its_move_is_still_open()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        // The move is written a moment after the assignment it is for, as it is outside a frozen test clock.
        var stored = (await plane.Store.GetAsync(Sample.Cluster, "node1", assign.Placement!.MoveRequestId, default))!;
        await plane.Store.UpdateAsync(stored, stored.Request with { CreatedAt = stored.Request.CreatedAt.AddSeconds(1) }, null, null, null, default);

        // Past the assignment's time-out, not yet the move's.
        plane.Time.Advance(TimeSpan.FromMinutes(30) + TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, await plane.Timeouts.TimeOutStaleAsync(default));
        Assert.True((await plane.Requests.GetAsync(assign.Id, default))!.WaitsForMove);

        // The move finishes within its own time-out: the assignment that waited for it is sent.
        var move = (await plane.Requests.GetAsync(assign.Placement.MoveRequestId, default))!;
        Assert.True(await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default));
        await plane.DispatchWaitingAsync();
        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(assign.Id, default))!.Status);
        Assert.Null((await plane.Requests.GetAsync(move.Id, default))!.Placement!.LateAssignRequestId);
        Assert.Equal("node1-vm0", Command<AssignPartition>(plane, "node2").VmName);
    }

    [Fact]
    public async Task A_late_move_with_no_partition_left_on_the_target_says_the_vm_is_there_without_one()
    {
        // Strategy pack: node3, with its one free partition.
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff, Strategy: PlacementStrategy.Pack));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        var move = (await plane.Requests.GetAsync(assign.Placement!.MoveRequestId, default))!;
        Assert.Equal("node3", assign.Node);
        plane.Time.Advance(TimeSpan.FromMinutes(31));
        await plane.Timeouts.TimeOutStaleAsync(default);
        // The partition the time-out gave back goes to another VM of node3.
        var other = (await plane.AssignAsync("node3-vm0")).Request;
        Assert.Equal((RequestStatus.Dispatched, "node3"), (other.Status, other.Node));

        await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();

        foreach (var id in new[] { move.Id, assign.Id })
        {
            var placement = (await plane.Requests.GetAsync(id, default))!.Placement!;
            Assert.Null(placement.LateAssignRequestId);
            Assert.Equal(RequestCodes.MovedWithoutPartition, placement.WithoutPartition?.Code);
            Assert.Contains("now runs on node3 without a GPU partition", placement.WithoutPartition!.Message, StringComparison.Ordinal);
            Assert.Contains(RequestCodes.NoFreePartition, placement.WithoutPartition.Message, StringComparison.Ordinal);
        }

        Assert.Equal(RequestStatus.TimedOut, (await plane.Requests.GetAsync(assign.Id, default))!.Status);
        Assert.DoesNotContain(plane.Bus.Published, p => p.Command.Body is AssignPartition a && a.VmName == "node1-vm0");

        // Once node3 has a partition again, the same result delivered again gets the VM its partition after all.
        await plane.Intake.HandleAsync(plane.Result(other, CommandOutcome.Failed), default);
        await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();
        var late = (await LateAssignOfAsync(plane, move.Id))!;
        Assert.Equal(("node3", RequestStatus.Dispatched), (late.Node, late.Status));
        Assert.Null((await plane.Requests.GetAsync(assign.Id, default))!.Placement!.WithoutPartition);
        Assert.Single(plane.Bus.Published, p => p.Command.Body is AssignPartition a && a.VmName == "node1-vm0");
    }

    [Fact]
    public async Task A_late_move_continued_by_two_instances_at_once_admits_one_assignment()
    {
        for (var round = 0; round < 10; round++)
        {
            var tables = Backends.InMemory();
            using var a = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff), tables: tables, idPrefix: "a-");
            using var b = new ControlPlaneHarness(tables, "b-");
            var assign = (await a.AssignAsync("node1-vm0")).Request;
            var move = (await a.Requests.GetAsync(assign.Placement!.MoveRequestId, default))!;
            a.Time.Advance(TimeSpan.FromMinutes(31));
            b.Time.Advance(TimeSpan.FromMinutes(31));
            await a.Timeouts.TimeOutStaleAsync(default);

            // The late result reaches both instances at once (its lock expired while the first still worked on it).
            var result = MoveResult(a, move, CommandOutcome.Succeeded);
            using var gate = new SemaphoreSlim(0);
            var one = Task.Run(async () => { await gate.WaitAsync(); await a.Intake.HandleAsync(result, default); });
            var two = Task.Run(async () => { await gate.WaitAsync(); await b.Intake.HandleAsync(result, default); });
            gate.Release(2);
            await Task.WhenAll(one, two);
            await a.DispatchWaitingAsync();
            await b.DispatchWaitingAsync();

            var onNode2 = (await a.Requests.ListAsync(new RequestListQuery(Sample.Cluster, "node2"), default)).Requests.Where(r => r.VmName == "node1-vm0").ToList();
            Assert.Equal(2, onNode2.Count);
            var late = Assert.Single(onNode2, r => r.Status == RequestStatus.Dispatched);
            Assert.Equal(late.Id, (await a.Requests.GetAsync(assign.Id, default))!.Placement!.LateAssignRequestId);
            Assert.Single(a.Bus.Published.Concat(b.Bus.Published), p => p.Command.Body is AssignPartition);
        }
    }

    [Fact]
    public async Task A_late_move_applied_by_an_instance_that_stopped_before_continuing_is_continued_when_its_result_comes_again()
    {
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        plane.Time.Advance(TimeSpan.FromMinutes(31));
        await plane.Timeouts.TimeOutStaleAsync(default);
        // The late result was applied to the move, then the instance stopped: nothing continued the placement.
        var move = (await plane.Store.GetAsync(Sample.Cluster, "node1", assign.Placement!.MoveRequestId, default))!;
        await plane.Store.UpdateAsync(move, move.Request with { Status = RequestStatus.Succeeded, CompletedAt = plane.Time.GetUtcNow() }, null, null, null, default);

        Assert.False(await plane.Intake.HandleAsync(MoveResult(plane, move.Request, CommandOutcome.Succeeded), default));
        await plane.DispatchWaitingAsync();

        var late = (await LateAssignOfAsync(plane, move.Request.Id))!;
        Assert.Equal(("node2", RequestStatus.Dispatched), (late.Node, late.Status));
        Assert.Equal("node1-vm0", Command<AssignPartition>(plane, "node2").VmName);
    }
    [Fact]
    public async Task A_late_move_s_assignment_keeps_the_failover_reserve()
    {
        // 5 partitions free outside node1 and 4 kept back: the placement's grant on node2 leaves 4.
        using var plane = await FullNodeAsync(new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: 4, Moves: MovePolicy.WhenOff));
        var assign = (await plane.AssignAsync("node1-vm0")).Request;
        Assert.Equal((RequestStatus.Accepted, "node2"), (assign.Status, assign.Node));
        var move = (await plane.Requests.GetAsync(assign.Placement!.MoveRequestId, default))!;
        plane.Time.Advance(TimeSpan.FromMinutes(31));
        await plane.Timeouts.TimeOutStaleAsync(default);
        // Meanwhile node3's free partition goes to its own VM: 4 left, all of them the reserve.
        Assert.Equal(RequestStatus.Dispatched, (await plane.AssignAsync("node3-vm0")).Request.Status);

        await plane.Intake.HandleAsync(MoveResult(plane, move, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();

        var placement = (await plane.Requests.GetAsync(move.Id, default))!.Placement!;
        Assert.Null(placement.LateAssignRequestId);
        Assert.Contains(RequestCodes.HeadroomReserved, placement.WithoutPartition!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(plane.Bus.Published, p => p.Command.Body is AssignPartition a && a.VmName == "node1-vm0");
    }
}
