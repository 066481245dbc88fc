using GpuAutomation.ControlPlane;
using System.Text.Json;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Partitioning;

/// <summary>Requests from submission to a terminal status through the public services; run on both stores.</summary>
public abstract class RequestLifecycleContract
{
    private static string Json(PartitionRequest request) => JsonSerializer.Serialize(request, ControlPlaneJsonContext.Default.PartitionRequest);

    private protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task Accepted_assign_is_published_to_the_nodes_queue_and_marked_dispatched()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 1, without: 2));

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.False(outcome.IsRejected);
        var request = outcome.Request;
        Assert.Equal(RequestStatus.Dispatched, request.Status);
        Assert.Equal("node1", request.Node);
        Assert.Equal(Sample.VmId("node1-vm0"), request.VmId);
        var (queue, command) = Assert.Single(plane.Bus.Published);
        Assert.Equal("gpu-commands.clus1.node1", queue);
        Assert.Equal(request.CommandId, command.Envelope.MessageId);
        Assert.Equal(request.Id, command.Envelope.CorrelationId);
        Assert.Equal(Sample.Start + TimeSpan.FromMinutes(20), command.Envelope.ExpiresAt);
        var assign = Assert.IsType<AssignPartition>(command.Body);
        Assert.Equal("node1-vm0", assign.VmName);
        Assert.Equal(Sample.VmId("node1-vm0"), assign.VmId);
        Assert.Equal(Json(request), Json((await plane.Requests.GetAsync(request.Id, default))!));
        Assert.Empty(await plane.Store.ListOutboxAsync(DateTimeOffset.MaxValue, 10, default));
    }

    [Fact]
    public async Task Assign_on_a_full_node_is_rejected_naming_the_free_and_reserved_counts()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 1));

        var rejection = (await plane.AssignAsync("node1-vm0")).Request.Error;

        Assert.Equal(RequestCodes.NoFreePartition, rejection?.Code);
        Assert.Equal("No free GPU partition on node node1 of cluster clus1: 0 free in the last inventory, 0 reserved by requests in flight. Not moved to another node: the cluster policy doesn't move VMs (moves: never).", rejection!.Message);
        Assert.Empty(plane.Bus.Published);
    }

    [Fact]
    public async Task Rejected_request_is_stored_as_rejected_with_its_reason_and_nothing_is_sent()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, withPartition: 1, without: 0));

        var outcome = await plane.AssignAsync("node1-gpuvm0");

        Assert.True(outcome.IsRejected);
        Assert.Equal(RequestCodes.VmHasPartition, outcome.Request.Error!.Code);
        Assert.Contains("node1-gpuvm0", outcome.Request.Error.Message, StringComparison.Ordinal);
        Assert.Null(outcome.Request.CommandId);
        Assert.Empty(plane.Bus.Published);
        var stored = await plane.Requests.GetAsync(outcome.Request.Id, default);
        Assert.Equal(RequestStatus.Rejected, stored!.Status);
        var ledger = await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default);
        Assert.Empty(ledger!.Ledger.Reservations);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_request()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));

        var first = await plane.AssignAsync("node1-vm0", idempotencyKey: "portal-click-42");
        var second = await plane.AssignAsync("node1-vm0", idempotencyKey: "portal-click-42");

        Assert.False(first.IsExisting);
        Assert.True(second.IsExisting);
        Assert.Equal(first.Request.Id, second.Request.Id);
        Assert.Single(plane.Bus.Published);
    }

    [Fact]
    public async Task A_key_reused_for_another_vm_is_refused_and_a_capacity_refusal_frees_its_key()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 1, without: 2));

        var first = await plane.AssignAsync("node1-vm0", idempotencyKey: "k");
        var reused = await Assert.ThrowsAsync<ControlPlaneException>(() => plane.AssignAsync("node1-vm1", idempotencyKey: "k"));
        var full = await plane.AssignAsync("node1-vm1", idempotencyKey: "full");
        await plane.DispatchWaitingAsync();
        Assert.True(await plane.Intake.HandleAsync(plane.Result(first.Request, CommandOutcome.Failed), default));
        var retried = await plane.AssignAsync("node1-vm1", idempotencyKey: "full");

        Assert.Equal((RequestCodes.IdempotencyKeyReused, false), (reused.Code, reused.IsRetryable));
        Assert.Equal(RequestCodes.NoFreePartition, full.Request.Error?.Code);
        Assert.False(retried.IsExisting);
        Assert.NotEqual(full.Request.Id, retried.Request.Id);
        Assert.False(retried.IsRejected);
    }

    [Fact]
    public async Task Simultaneous_submissions_with_one_idempotency_key_create_one_request()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                return (await plane.AssignAsync("node1-vm0", idempotencyKey: "retrying-client")).Request.Id;
            }
            catch (ControlPlaneException ex) when (ex.Code == RequestCodes.IdempotencyKeyInFlight)
            {
                return null;
            }
        }));

        var stored = (await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster), default)).Requests;
        var only = Assert.Single(stored);
        Assert.All(attempts.Where(id => id is not null), id => Assert.Equal(only.Id, id));
        Assert.Single(plane.Bus.Published);
        Assert.Equal(only.Id, (await plane.AssignAsync("node1-vm0", idempotencyKey: "retrying-client")).Request.Id);
    }

    [Fact]
    public async Task Success_result_completes_the_request_and_late_progress_or_duplicates_change_nothing()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, without: 3));
        var request = (await plane.AssignAsync("node1-vm0")).Request;

        Assert.True(await plane.Intake.HandleAsync(plane.Progress(request, "ensure-vm-off"), default));
        Assert.Equal(RequestStatus.Running, (await plane.Requests.GetAsync(request.Id, default))!.Status);
        Assert.False(await plane.Intake.HandleAsync(plane.Progress(request, "ensure-vm-off"), default));

        plane.Time.Advance(TimeSpan.FromMinutes(1));
        var result = plane.Result(request, CommandOutcome.Succeeded);
        Assert.True(await plane.Intake.HandleAsync(result, default));
        Assert.False(await plane.Intake.HandleAsync(result, default));
        Assert.False(await plane.Intake.HandleAsync(plane.Progress(request, "late-step"), default));
        Assert.False(await plane.Intake.HandleAsync(plane.Result(request, CommandOutcome.Failed), default));

        var done = (await plane.Requests.GetAsync(request.Id, default))!;
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Null(done.Error);
        Assert.Equal(["ensure-vm-off", "add-adapter"], done.Steps.Select(s => s.Name));
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Empty(ledger.Reservations);
        Assert.Equal(1, ledger.FreePartitions);
    }

    [Fact]
    public async Task Failure_releases_the_reserved_partition_for_the_next_request()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 1, without: 2));
        var first = (await plane.AssignAsync("node1-vm0")).Request;
        var capacity = (await plane.Inventory.GetCapacityAsync(Sample.Cluster, "node1", default))!;
        Assert.Equal((1, 1, 0), (capacity.FreePartitions, capacity.ReservedPartitions, capacity.AvailablePartitions));

        var blocked = await plane.AssignAsync("node1-vm1");
        Assert.Equal(RequestCodes.NoFreePartition, blocked.Request.Error?.Code);
        Assert.Contains("1 reserved", blocked.Request.Error!.Message, StringComparison.Ordinal);

        await plane.Intake.HandleAsync(plane.Result(first, CommandOutcome.Failed), default);
        var failed = (await plane.Requests.GetAsync(first.Id, default))!;
        Assert.Equal(RequestStatus.Failed, failed.Status);
        Assert.Equal("hyperv-job-failed", failed.Error!.Code);

        var retried = await plane.AssignAsync("node1-vm1");
        Assert.Equal(RequestStatus.Dispatched, retried.Request.Status);
    }

    [Fact]
    public async Task Two_instances_admit_on_the_ledger_as_it_is_now_not_as_either_last_saw_it()
    {
        var tables = CreateTables();
        using var one = new ControlPlaneHarness(tables, "a");
        using var two = new ControlPlaneHarness(tables, "b");
        await one.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 1, without: 3));

        // Both instances have seen the ledger with one free partition; the second takes it.
        var first = (await one.AssignAsync("node1-vm0")).Request;
        Assert.Equal(RequestStatus.Dispatched, first.Status);
        await one.Intake.HandleAsync(one.Result(first, CommandOutcome.Failed), default);
        var taken = (await two.AssignAsync("node1-vm1")).Request;
        Assert.Equal(RequestStatus.Dispatched, taken.Status);

        // The first instance last saw it free: its write fails on the ledger's ETag and the fresh read refuses.
        var refused = (await one.AssignAsync("node1-vm2")).Request;
        Assert.Equal(RequestCodes.NoFreePartition, refused.Error?.Code);

        // The second instance frees it again; the first, which last saw it full, admits after a fresh read.
        await two.Intake.HandleAsync(two.Result(taken, CommandOutcome.Failed), default);
        var admitted = (await one.AssignAsync("node1-vm2")).Request;
        Assert.Equal(RequestStatus.Dispatched, admitted.Status);
    }

    [Fact]
    public async Task Unassign_of_a_vm_with_a_partition_frees_capacity_once_it_succeeds()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 1, withPartition: 1, without: 1));
        Assert.Equal(RequestCodes.NoFreePartition, (await plane.AssignAsync("node1-vm0")).Request.Error?.Code);

        var unassign = (await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, "node1-gpuvm0"))).Request;
        Assert.Equal(RequestStatus.Dispatched, unassign.Status);
        Assert.IsType<UnassignPartition>(plane.Bus.Published.Last().Command.Body);
        await plane.Intake.HandleAsync(plane.Result(unassign, CommandOutcome.Succeeded), default);

        Assert.Equal(RequestStatus.Dispatched, (await plane.AssignAsync("node1-vm0")).Request.Status);
    }

    [Fact]
    public async Task Partition_count_change_blocks_the_node_until_done_then_capacity_follows_the_inventory_after()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 4, without: 2), Sample.Node("node2", Sample.Start, partitionCount: 4, without: 2));

        var outcome = await plane.SubmitAsync(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node1", 8, requestedBy: "admin"));

        Assert.Equal(RequestStatus.Dispatched, outcome.Request.Status);
        Assert.Equal(RequestCodes.PartialSelection, Assert.Single(outcome.Request.Warnings).Code);
        var command = Assert.IsType<ConfigurePartitionCount>(plane.Bus.Published.Single().Command.Body);
        Assert.Equal(8, command.PartitionCount);
        Assert.Equal(["gpu-node1-0"], command.GpuInstancePaths);
        Assert.Equal(RequestCodes.NodeBusy, (await plane.AssignAsync("node1-vm0")).Request.Error?.Code);
        Assert.Equal(RequestStatus.Dispatched, (await plane.AssignAsync("node2-vm0")).Request.Status);

        plane.Time.Advance(TimeSpan.FromMinutes(3));
        var after = Sample.Node("node1", plane.Time.GetUtcNow(), partitionCount: 8, without: 2);
        await plane.Intake.HandleAsync(plane.Result(outcome.Request, CommandOutcome.Succeeded, after), default);

        Assert.Equal(RequestStatus.Succeeded, (await plane.Requests.GetAsync(outcome.Request.Id, default))!.Status);
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Equal(8, ledger.FreePartitions);
        Assert.Empty(ledger.Reservations);
        Assert.Equal(8, (await plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Gpus[0].PartitionCount);
    }

    [Fact]
    public async Task Submission_answers_once_written_and_the_relay_publishes_and_marks_it_dispatched_right_after()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var relay = new DispatchRelay(plane.Get<DispatchQueue>());

        var beforeRelay = await plane.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default);
        Assert.Equal(RequestStatus.Accepted, beforeRelay.Request.Status);
        Assert.Empty(plane.Bus.Published);

        await relay.StartAsync(default);
        var whileRunning = await plane.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), default);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (plane.Bus.Published.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await relay.StopAsync(default);
        Assert.Equal([beforeRelay.Request.CommandId, whileRunning.Request.CommandId], plane.Bus.Published.Select(p => p.Command.Envelope.MessageId).Order());
        foreach (var id in new[] { beforeRelay.Request.Id, whileRunning.Request.Id })
        {
            Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(id, default))!.Status);
        }
    }

    [Fact]
    public async Task Bus_down_during_dispatch_leaves_the_command_to_the_sweep_which_delivers_it_later()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));
        plane.Bus.IsDown = true;

        var request = (await plane.AssignAsync("node1-vm0")).Request;
        Assert.Equal(RequestStatus.Accepted, request.Status);
        Assert.Empty(plane.Bus.Published);

        plane.Bus.IsDown = false;
        Assert.Equal(0, await plane.Sweeper.SweepAsync(default));
        plane.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await plane.Sweeper.SweepAsync(default));
        Assert.Equal(0, await plane.Sweeper.SweepAsync(default));

        var (_, command) = Assert.Single(plane.Bus.Published);
        Assert.Equal(request.CommandId, command.Envelope.MessageId);
        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(request.Id, default))!.Status);
    }

    [Fact]
    public async Task Timed_out_request_frees_its_reservation_and_takes_a_late_result_from_its_node()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 1, without: 2));
        var request = (await plane.AssignAsync("node1-vm0")).Request;

        plane.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await plane.Timeouts.TimeOutStaleAsync(default));
        plane.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await plane.Timeouts.TimeOutStaleAsync(default));
        Assert.Equal(0, await plane.Timeouts.TimeOutStaleAsync(default));

        var timedOut = (await plane.Requests.GetAsync(request.Id, default))!;
        Assert.Equal(RequestStatus.TimedOut, timedOut.Status);
        Assert.Equal(RequestCodes.TimedOut, timedOut.Error!.Code);
        Assert.Empty((await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.Reservations);

        // Issue 16, item 5: the record says what the host did, with a note, and the partition it took is counted.
        Assert.True(await plane.Intake.HandleAsync(plane.Result(request, CommandOutcome.Succeeded), default));
        var late = (await plane.Requests.GetAsync(request.Id, default))!;
        Assert.Equal(RequestStatus.Succeeded, late.Status);
        Assert.Contains(late.Warnings, w => w.Code == RequestCodes.LateResult);
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Empty(ledger.Reservations);
        Assert.Equal(0, ledger.FreePartitions);
        Assert.False(await plane.Intake.HandleAsync(plane.Result(request, CommandOutcome.Succeeded), default));
    }

    [Fact]
    public async Task Requests_list_by_cluster_node_and_status_a_page_at_a_time()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, without: 4), Sample.Node("node2", Sample.Start, partitionCount: 2, without: 4));
        var ids = new List<string>();
        foreach (var vm in new[] { "node1-vm0", "node1-vm1", "node1-vm2", "node2-vm0" })
        {
            ids.Add((await plane.AssignAsync(vm)).Request.Id);
        }

        var all = new List<PartitionRequest>();
        string? token = null;
        do
        {
            var page = await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster, PageSize: 2, ContinuationToken: token), default);
            all.AddRange(page.Requests);
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(ids, all.Select(r => r.Id));
        var rejected = await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster, Node: "node1", Status: RequestStatus.Rejected), default);
        Assert.Equal([ids[2]], rejected.Requests.Select(r => r.Id));
        var byVm = await plane.Requests.ListAsync(new RequestListQuery(VmName: "node2-vm0"), default);
        Assert.Equal([ids[3]], byVm.Requests.Select(r => r.Id));
    }

    [Fact]
    public async Task Crash_between_write_and_publish_is_delivered_by_the_sweep_of_a_restarted_process()
    {
        var tables = CreateTables();
        using (var crashed = new ControlPlaneHarness(tables))
        {
            await crashed.SeedAsync(Sample.Node("node1", Sample.Start));
            // Accepted and written; the process stops before its dispatch relay publishes the command.
            var accepted = await crashed.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default);
            Assert.Equal(RequestStatus.Accepted, accepted.Request.Status);
            Assert.Empty(crashed.Bus.Published);
        }

        using var restarted = new ControlPlaneHarness(tables);
        var left = Assert.Single((await restarted.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster), default)).Requests);
        Assert.Equal(RequestStatus.Accepted, left.Status);

        restarted.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await restarted.Sweeper.SweepAsync(default));
        Assert.Equal(0, await restarted.Sweeper.SweepAsync(default));

        var (queue, command) = Assert.Single(restarted.Bus.Published);
        Assert.Equal("gpu-commands.clus1.node1", queue);
        Assert.Equal(left.CommandId, command.Envelope.MessageId);
        Assert.Equal(RequestStatus.Dispatched, (await restarted.Requests.GetAsync(left.Id, default))!.Status);
    }

    [Fact]
    public async Task Index_row_lost_beside_an_accepted_batch_is_written_by_the_sweep()
    {
        using var plane = await AssignLosingTheIndexRowAsync(idempotencyKey: null);

        var left = Assert.Single((await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster), default)).Requests);
        Assert.Null(await plane.Requests.GetAsync(left.Id, default));

        plane.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await plane.Sweeper.SweepAsync(default));
        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(left.Id, default))!.Status);
    }

    [Fact]
    public async Task A_retry_after_the_claim_went_stale_finds_the_request_whose_index_row_was_lost_instead_of_taking_the_key()
    {
        using var plane = await AssignLosingTheIndexRowAsync(idempotencyKey: "order-7");
        plane.Time.Advance(TimeSpan.FromMinutes(10));

        var retried = await plane.AssignAsync("node1-vm0", idempotencyKey: "order-7");

        Assert.True(retried.IsExisting);
        var only = Assert.Single((await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster), default)).Requests);
        Assert.Equal(only.Id, retried.Request.Id);
        Assert.NotNull(await plane.Requests.GetAsync(only.Id, default));
    }

    [Fact]
    public async Task The_relays_mark_never_moves_back_a_request_whose_progress_arrived_first()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));
        var accepted = (await plane.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default)).Request;

        await plane.Intake.HandleAsync(plane.Progress(accepted, "ensure-vm-off"), default);
        Assert.Equal(1, await plane.DispatchWaitingAsync());

        Assert.Equal(RequestStatus.Running, (await plane.Requests.GetAsync(accepted.Id, default))!.Status);
        plane.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await plane.Sweeper.SweepAsync(default));
        Assert.Single(plane.Bus.Published);
    }

    [Fact]
    public async Task A_command_left_waiting_past_the_grace_period_is_the_sweeps_alone()
    {
        using var plane = new ControlPlaneHarness(CreateTables());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));
        await plane.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default);

        plane.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, await plane.DispatchWaitingAsync());
        Assert.Equal(1, await plane.Sweeper.SweepAsync(default));
        Assert.Single(plane.Bus.Published);
    }

    /// <summary>A plane whose assign of node1-vm0 stored its batch but not its index row (the call failed).</summary>
    private async Task<ControlPlaneHarness> AssignLosingTheIndexRowAsync(string? idempotencyKey)
    {
        var tables = new IndexWritesFail(CreateTables());
        var plane = new ControlPlaneHarness(tables);
        await plane.SeedAsync(Sample.Node("node1", Sample.Start));
        tables.Failing = true;
        await Assert.ThrowsAsync<IOException>(() => plane.AssignAsync("node1-vm0", idempotencyKey));
        tables.Failing = false;
        return plane;
    }

    /// <summary>Tables whose request-id index rows can't be written while <see cref="Failing"/>, as over a lost connection.</summary>
    private sealed class IndexWritesFail(IRecordTableSource inner) : IRecordTableSource
    {
        public bool Failing { get; set; }

        public IRecordTable Open(string name)
            => name == RequestStore.IndexTableName ? new Table(inner.Open(name), this) : inner.Open(name);

        private sealed class Table(IRecordTable inner, IndexWritesFail owner) : IRecordTable
        {
            public Task<TableRow?> GetAsync(string partitionKey, string rowKey, CancellationToken cancellationToken)
                => inner.GetAsync(partitionKey, rowKey, cancellationToken);

            public Task<RowPage> QueryAsync(RowQuery query, CancellationToken cancellationToken)
                => inner.QueryAsync(query, cancellationToken);

            public Task<IReadOnlyList<string?>> SubmitAsync(IReadOnlyList<RowChange> changes, CancellationToken cancellationToken)
                => owner.Failing && changes.Any(c => c.Row.PartitionKey.StartsWith("i-", StringComparison.Ordinal))
                    ? Task.FromException<IReadOnlyList<string?>>(new IOException("Connection reset.")) : inner.SubmitAsync(changes, cancellationToken);
        }
    }
}

public sealed class InMemoryRequestLifecycleTests : RequestLifecycleContract
{
    private protected override IRecordTableSource CreateTables() => Backends.InMemory();
}

public sealed class TableStorageRequestLifecycleTests : RequestLifecycleContract
{
    private protected override IRecordTableSource CreateTables() => Backends.Azurite();
}
