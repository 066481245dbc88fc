using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Queueing;

/// <summary>
/// Backfill with placement (issue 18 follow-up): a queued assignment whose VM's node is still full is placed on another
/// node when a partition frees there and the cluster policy allows moves, once, keeping its id.
/// </summary>
public sealed class QueuePlacementTests
{
    private static PartitionRequestSubmission Waiting(string vm, int priority = 0)
        => PartitionRequestSubmission.Assign(Sample.Cluster, vm, requestedBy: "tester") with { Queue = new QueueTerms(600, priority) };

    /// <summary>Every node has 2 partitions, all held. node1 has <paramref name="waiting"/> VMs without one; node2 and node3 none.</summary>
    private static async Task<ControlPlaneHarness> ClusterAsync(IRecordTableSource tables, string idPrefix = "", MovePolicy moves = MovePolicy.WhenOff, int waiting = 4)
    {
        var plane = new ControlPlaneHarness(tables, idPrefix);
        await plane.SeedAsync(
            Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: waiting),
            Sample.Node("node2", Sample.Start, partitionCount: 2, withPartition: 2, without: 0),
            Sample.Node("node3", Sample.Start, partitionCount: 2, withPartition: 2, without: 0));
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Moves: moves), Sample.Start, "tester", null, default);
        return plane;
    }

    /// <summary>A node's ledger gains free partitions that no backfill has used yet (the instance that applied the results stopped).</summary>
    private static async Task FreeWithoutBackfillAsync(ControlPlaneHarness plane, string node, int free)
    {
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, node, default))!;
        await plane.Store.SaveLedgerAsync(ledger.Ledger with { FreePartitions = free }, ledger.ETag, default);
    }

    private static Message MoveResult(ControlPlaneHarness plane, PartitionRequest move)
    {
        var at = plane.Time.GetUtcNow();
        var placement = new VmPlacement(move.VmName!, move.VmId!.Value, move.Node, move.Placement!.ToNode, MoveMethod.StopMoveStart, VmPowerState.Off, "a quick move was asked for a running VM: shut down, move, start");
        var body = new CommandResult(move.CommandId!, MessageTypes.MoveVm, CommandOutcome.Succeeded, [new StepRecord("move-cluster-group", StepOutcome.Succeeded, at, at)], null, null, at, at, placement);
        return Message.Create(body, "result-" + Guid.NewGuid().ToString("N"), move.Cluster, move.Node, at, move.Id);
    }

    private static List<MoveVm> Moves(params ControlPlaneHarness[] planes)
        => [.. planes.SelectMany(p => p.Bus.Published).Select(p => p.Command.Body).OfType<MoveVm>()];

    /// <summary>Every row of the cluster with this id (one request is one row, wherever it lives).</summary>
    private static async Task<List<PartitionRequest>> RowsOfAsync(ControlPlaneHarness plane, string id)
        => [.. (await plane.Requests.ListAsync(new RequestListQuery(Sample.Cluster, PageSize: 1000), default)).Requests.Where(r => r.Id == id)];

    [Fact]
    public async Task A_queued_request_is_placed_on_the_node_where_a_partition_frees_and_keeps_its_id()
    {
        using var plane = await ClusterAsync(Backends.InMemory());
        var queued = await plane.SubmitAsync(Waiting("node1-vm0"));
        Assert.Equal(RequestStatus.Queued, queued.Request.Status);
        var id = queued.Request.Id;

        // node2's agent reports an unassignment: its result backfills the cluster's queue.
        var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, "node2-gpuvm0"));
        await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();

        var placed = (await plane.Requests.GetAsync(id, default))!;
        Assert.Equal((RequestStatus.Accepted, "node2", (string?)null), (placed.Status, placed.Node, placed.CommandId));
        Assert.Equal(("node1", "node2", id), (placed.Placement!.FromNode, placed.Placement.ToNode, placed.Placement.AssignRequestId));
        var move = (await plane.Requests.GetAsync(placed.Placement.MoveRequestId, default))!;
        Assert.Equal((PartitionAction.Move, "node1", RequestStatus.Dispatched, id), (move.Action, move.Node, move.Status, move.Placement!.AssignRequestId));
        Assert.Equal(("node1-vm0", "node2"), (Moves(plane).Single().VmName, Moves(plane).Single().TargetNode));
        Assert.Null(await plane.Store.GetAsync(Sample.Cluster, "node1", id, default));
        Assert.Empty(await plane.Get<RequestQueue>().ListAsync(Sample.Cluster, 10, default));
        Assert.Contains((await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations, r => r.RequestId == id);
        Assert.Contains((await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations, r => r.RequestId == move.Id);

        // The VM moved: the assignment goes to node2's agent, and the id the client polls ends Succeeded.
        Assert.True(await plane.Intake.HandleAsync(MoveResult(plane, move), default));
        await plane.DispatchWaitingAsync();
        var sent = (await plane.Requests.GetAsync(id, default))!;
        Assert.Equal(RequestStatus.Dispatched, sent.Status);
        Assert.Single(plane.Bus.Published.Select(p => p.Command.Body).OfType<AssignPartition>(), a => a.VmName == "node1-vm0");
        await plane.Intake.HandleAsync(plane.Result(sent, CommandOutcome.Succeeded), default);
        Assert.Equal(RequestStatus.Succeeded, (await plane.Requests.GetAsync(id, default))!.Status);
        Assert.Single(await RowsOfAsync(plane, id));
    }

    [Fact]
    public async Task Without_moves_a_queued_request_keeps_waiting_for_its_own_node()
    {
        using var plane = await ClusterAsync(Backends.InMemory(), moves: MovePolicy.Never);
        var id = (await plane.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
        await FreeWithoutBackfillAsync(plane, "node2", 1);

        Assert.Equal(0, await plane.Get<QueueBackfill>().BackfillAllAsync(default));

        Assert.Equal((RequestStatus.Queued, "node1"), ((await plane.Requests.GetAsync(id, default))!.Status, (await plane.Requests.GetAsync(id, default))!.Node));
        Assert.Empty(Moves(plane));
    }

    /// <summary>With moves, a pass over a long queue on a cluster with no free partition anywhere stops at the first request, instead of trying to place every one (each try reads every node's ledger).</summary>
    [Fact]
    public async Task A_pass_on_a_cluster_with_no_free_partition_stops_at_the_first_request()
    {
        const int Queued = 20;
        var counting = new CountingTables(Backends.InMemory());
        using var plane = await ClusterAsync(counting, waiting: Queued);
        for (var i = 0; i < Queued; i++)
        {
            Assert.Equal(RequestStatus.Queued, (await plane.SubmitAsync(Waiting($"node1-vm{i}"))).Request.Status);
        }

        counting.Reads.Clear();
        Assert.Equal(0, await plane.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));

        // One request: its own node's ledger (recent, then fresh) and every node's for the placement.
        var ledgerReads = counting.Reads.GetValueOrDefault("ledger");
        Assert.True(ledgerReads <= 6, $"{ledgerReads} ledger reads for one pass");
        Assert.All(await Task.WhenAll((await plane.Get<RequestQueue>().ListAsync(Sample.Cluster, 100, default)).Select(e => plane.Requests.GetAsync(e.RequestId, default))), r => Assert.Equal(RequestStatus.Queued, r!.Status));
    }

    /// <summary>Instances racing over the same queue: each freed partition takes one request, each request is placed once, in priority order.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Instances_backfilling_at_once_place_each_queued_request_once_and_never_past_capacity(bool azurite)
    {
        const int Queued = 8;
        var tables = azurite ? Backends.Azurite() : Backends.InMemory();
        using var a = await ClusterAsync(tables, "a-", waiting: Queued);
        using var b = new ControlPlaneHarness(tables, "b-");
        var ids = new List<string>();
        for (var i = 0; i < Queued; i++)
        {
            var outcome = await (i % 2 == 0 ? a : b).SubmitAsync(Waiting($"node1-vm{i}", priority: i % 3));
            Assert.Equal(RequestStatus.Queued, outcome.Request.Status);
            ids.Add(outcome.Request.Id);
        }

        await FreeWithoutBackfillAsync(a, "node2", 2);
        await FreeWithoutBackfillAsync(a, "node3", 1);
        using var gate = new SemaphoreSlim(0);
        var runs = new[] { a, b, a, b }.Select(p => Task.Run(async () => { await gate.WaitAsync(); return await p.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default); })).ToList();
        gate.Release(runs.Count);
        var admitted = (await Task.WhenAll(runs)).Sum();
        await a.DispatchWaitingAsync();
        await b.DispatchWaitingAsync();

        Assert.Equal(3, admitted);
        var moves = Moves(a, b);
        Assert.Equal(3, moves.Count);
        Assert.Equal(3, moves.Select(m => m.VmName).Distinct().Count());
        var states = await Task.WhenAll(ids.Select(id => a.Requests.GetAsync(id, default)));
        var placed = states.Where(s => s!.Status != RequestStatus.Queued).ToList();
        Assert.All(placed, s => Assert.Equal((RequestStatus.Accepted, "node1"), (s!.Status, s.Placement!.FromNode)));
        Assert.Equal(2, placed.Count(s => s!.Node == "node2"));
        Assert.Equal(1, placed.Count(s => s!.Node == "node3"));
        Assert.All(states.Where(s => s!.Status == RequestStatus.Queued), s => Assert.Null(s!.Placement));
        Assert.Equal(2, (await a.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.ReservedPartitions);
        Assert.Equal(1, (await a.Store.GetLedgerAsync(Sample.Cluster, "node3", default))!.Ledger.ReservedPartitions);
        Assert.Equal(Queued - 3, (await a.Get<RequestQueue>().ListAsync(Sample.Cluster, 100, default)).Count);
        foreach (var id in ids)
        {
            Assert.Single(await RowsOfAsync(a, id));
        }

        // Priority order: every placed request has a priority at least that of every one still waiting.
        Assert.True(placed.Min(s => s!.Queue!.Priority) >= states.Where(s => s!.Status == RequestStatus.Queued).Max(s => s!.Queue!.Priority));
    }

    /// <summary>An instance stops after claiming the request and admitting it on node2, before the commit.</summary>
    private static async Task<(IRecordTableSource Tables, string Id)> StoppedBeforeCommitAsync()
    {
        var tables = Backends.InMemory();
        string id;
        using (var setup = await ClusterAsync(tables, "s-"))
        {
            id = (await setup.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
            await FreeWithoutBackfillAsync(setup, "node2", 1);
        }

        var crashing = new CrashingTables(tables)
        {
            CrashOn = (table, changes) => table == RequestStore.TableName && changes.Any(c => c.Kind == RowChangeKind.Delete && c.Row.RowKey == "r-" + id),
        };
        using var stopped = new ControlPlaneHarness(crashing, "a-");
        await Assert.ThrowsAsync<SimulatedCrashException>(() => stopped.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));
        Assert.Empty(stopped.Bus.Published);
        return (tables, id);
    }

    [Fact]
    public async Task A_placement_a_stopped_instance_left_before_its_commit_is_rolled_back_and_placed_once()
    {
        var (tables, id) = await StoppedBeforeCommitAsync();
        using var b = new ControlPlaneHarness(tables, "b-");
        var claimed = (await b.Requests.GetAsync(id, default))!;
        Assert.Equal((RequestStatus.Queued, "node1", "node2"), (claimed.Status, claimed.Node, claimed.Placement?.ToNode));
        Assert.True((await b.Store.GetAsync(Sample.Cluster, "node2", id, default))!.Request.WaitsForMove);

        // Within the grace period the claim stands: its instance may still commit.
        Assert.Equal(0, await b.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));
        Assert.Equal(claimed.Placement, (await b.Requests.GetAsync(id, default))!.Placement);

        // Later, the placement sweep leaves the claimed assignment to the queue (its move may still be written)...
        b.Time.Advance(TimeSpan.FromMinutes(1));
        await b.Get<PlacementContinuation>().SweepAsync(default);
        Assert.True((await b.Store.GetAsync(Sample.Cluster, "node2", id, default))!.Request.WaitsForMove);

        // ...and the backfill takes the claim back and places the request itself.
        Assert.Equal(1, await b.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));
        await b.DispatchWaitingAsync();

        var placed = (await b.Requests.GetAsync(id, default))!;
        Assert.Equal((RequestStatus.Accepted, "node2"), (placed.Status, placed.Node));
        Assert.NotEqual(claimed.Placement!.MoveRequestId, placed.Placement!.MoveRequestId);
        Assert.Single(Moves(b));
        Assert.Null(await b.Store.GetAsync(Sample.Cluster, "node1", id, default));
        Assert.Null(await b.Requests.GetAsync(claimed.Placement.MoveRequestId, default));
        Assert.Single((await b.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations, r => r.RequestId == id);
        Assert.Single(await RowsOfAsync(b, id));
        Assert.Empty(await b.Get<RequestQueue>().ListAsync(Sample.Cluster, 10, default));
    }

    [Fact]
    public async Task A_claimer_that_resumes_after_its_claim_was_taken_back_commits_nothing()
    {
        var tables = Backends.InMemory();
        string id;
        using (var setup = await ClusterAsync(tables, "s-"))
        {
            id = (await setup.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
            await FreeWithoutBackfillAsync(setup, "node2", 1);
        }

        // Instance a stalls right before its commit, long enough for its claim to count as left behind.
        var stalling = new PausingTables(tables)
        {
            PauseOn = (table, changes) => table == RequestStore.TableName && changes.Any(c => c.Kind == RowChangeKind.Delete && c.Row.RowKey == "r-" + id),
        };
        using var a = new ControlPlaneHarness(stalling, "a-");
        var run = Task.Run(() => a.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));
        await stalling.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        using var b = new ControlPlaneHarness(tables, "b-");
        b.Time.Advance(TimeSpan.FromMinutes(1));
        var claimed = (await b.Store.GetAsync(Sample.Cluster, "node1", id, default))!;
        Assert.NotNull(await b.Get<QueuePlacer>().SettleAsync(claimed, default));

        stalling.Resume();
        Assert.Equal(0, await run);
        await a.DispatchWaitingAsync();

        Assert.Empty(Moves(a));
        var queued = (await b.Requests.GetAsync(id, default))!;
        Assert.Equal((RequestStatus.Queued, "node1", (VmMove?)null), (queued.Status, queued.Node, queued.Placement));
        Assert.Empty((await b.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);
        Assert.Empty((await b.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations);
        Assert.Single(await RowsOfAsync(b, id));
        Assert.Single(await b.Get<RequestQueue>().ListAsync(Sample.Cluster, 10, default));
    }

    [Fact]
    public async Task Cancelling_a_request_a_stopped_instance_was_placing_gives_its_partition_back()
    {
        var (tables, id) = await StoppedBeforeCommitAsync();
        using var b = new ControlPlaneHarness(tables, "b-");

        var cancelled = await b.Requests.CancelAsync(id, "operator@contoso", default);

        Assert.Equal((RequestStatus.Cancelled, (VmMove?)null), (cancelled!.Status, cancelled.Placement));
        Assert.Null(await b.Store.GetAsync(Sample.Cluster, "node2", id, default));
        Assert.Empty((await b.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger.Reservations);
        b.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await b.Get<QueueBackfill>().BackfillAllAsync(default));
        Assert.Empty(Moves(b));
        Assert.Equal(RequestStatus.Cancelled, Assert.Single(await RowsOfAsync(b, id)).Status);
    }

    [Fact]
    public async Task A_placement_committed_by_an_instance_that_stopped_before_indexing_it_is_found_by_its_id_and_its_move_sent_once()
    {
        var tables = Backends.InMemory();
        string id;
        using (var setup = await ClusterAsync(tables, "s-"))
        {
            id = (await setup.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
            await FreeWithoutBackfillAsync(setup, "node2", 1);
        }

        var crashing = new CrashingTables(tables)
        {
            CrashOn = (table, changes) => table == RequestIndex.TableName && changes.Any(c => c.Row.PartitionKey == "i-" + id),
        };
        using (var stopped = new ControlPlaneHarness(crashing, "a-"))
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => stopped.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default));
            Assert.Empty(stopped.Bus.Published);
        }

        using var b = new ControlPlaneHarness(tables, "b-");
        var placed = (await b.Requests.GetAsync(id, default))!;
        Assert.Equal((RequestStatus.Accepted, "node2"), (placed.Status, placed.Node));
        Assert.Equal("clus1.node2", await b.Get<RequestIndex>().LocateAsync(id, default));

        // The timer: the sweep sends the committed move, and the backfill drops the queue entry the instance left.
        b.Time.Advance(TimeSpan.FromMinutes(3));
        await b.Sweeper.SweepAsync(default);
        await b.Get<PlacementContinuation>().SweepAsync(default);
        Assert.Equal(0, await b.Get<QueueBackfill>().BackfillAllAsync(default));

        Assert.Equal("node2", Assert.Single(Moves(b)).TargetNode);
        Assert.Equal(RequestStatus.Dispatched, (await b.Requests.GetAsync(placed.Placement!.MoveRequestId, default))!.Status);
        Assert.True((await b.Requests.GetAsync(id, default))!.WaitsForMove);
        Assert.Empty(await b.Get<RequestQueue>().ListAsync(Sample.Cluster, 10, default));
        Assert.Single(await RowsOfAsync(b, id));
    }

    /// <summary>The request timeout counts from admission, not from when a request started waiting in the queue.</summary>
    [Theory]
    [InlineData(MovePolicy.Never)]
    [InlineData(MovePolicy.WhenOff)]
    public async Task A_request_admitted_after_a_long_wait_is_not_timed_out_for_the_wait(MovePolicy moves)
    {
        using var plane = await ClusterAsync(Backends.InMemory(), moves: moves);
        var id = (await plane.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
        plane.Time.Advance(TimeSpan.FromMinutes(45));
        await plane.SeedAsync(
            Sample.Node("node1", plane.Time.GetUtcNow(), partitionCount: 2, withPartition: 2, without: 4),
            Sample.Node("node2", plane.Time.GetUtcNow(), partitionCount: 2, withPartition: 2, without: 0),
            Sample.Node("node3", plane.Time.GetUtcNow(), partitionCount: 2, withPartition: 2, without: 0));
        var holder = moves == MovePolicy.Never ? "node1-gpuvm0" : "node2-gpuvm0";
        var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, holder));
        await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();
        var admitted = (await plane.Requests.GetAsync(id, default))!;
        Assert.NotEqual(RequestStatus.Queued, admitted.Status);

        Assert.Equal(0, await plane.Timeouts.TimeOutStaleAsync(default));
        Assert.Equal(admitted.Status, (await plane.Requests.GetAsync(id, default))!.Status);

        plane.Time.Advance(TimeSpan.FromMinutes(31));
        await plane.Timeouts.TimeOutStaleAsync(default);
        Assert.Equal(RequestStatus.TimedOut, (await plane.Requests.GetAsync(id, default))!.Status);
    }
}
