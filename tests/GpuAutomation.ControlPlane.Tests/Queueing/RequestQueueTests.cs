using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Queueing;

/// <summary>Queue and backfill (issue 18, item 3): requests wait for capacity and are admitted when it frees.</summary>
public sealed class RequestQueueTests
{
    private static PartitionRequestSubmission Waiting(string vm, int priority = 0, int maxWaitMinutes = 60)
        => PartitionRequestSubmission.Assign(Sample.Cluster, vm, requestedBy: "tester") with { Queue = new QueueTerms(maxWaitMinutes, priority) };

    /// <summary>node1 with 2 partitions, both held (node1-gpuvm0, node1-gpuvm1), and 4 VMs without.</summary>
    private static async Task<ControlPlaneHarness> FullNodeAsync(IRecordTableSource? tables = null, string idPrefix = "")
    {
        var plane = new ControlPlaneHarness(tables ?? Backends.InMemory(), idPrefix);
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 4));
        return plane;
    }

    private static async Task FreeOneAsync(ControlPlaneHarness plane, string holder)
    {
        var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, holder));
        Assert.False(unassign.IsRejected, unassign.Request.Error?.Message);
        await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
        await plane.DispatchWaitingAsync();
    }

    [Fact]
    public async Task A_request_that_asks_to_wait_is_queued_with_its_position_instead_of_refused()
    {
        using var plane = await FullNodeAsync();

        var first = await plane.SubmitAsync(Waiting("node1-vm0"));
        var second = await plane.SubmitAsync(Waiting("node1-vm1"));
        var urgent = await plane.SubmitAsync(Waiting("node1-vm2", priority: 5));
        var refused = await plane.AssignAsync("node1-vm3");

        Assert.Equal(RequestStatus.Queued, first.Request.Status);
        Assert.Equal(1, first.QueuePosition);
        Assert.Equal(2, second.QueuePosition);
        Assert.Equal(1, urgent.QueuePosition);
        Assert.Contains(first.Request.Warnings, w => w.Code == RequestCodes.NoFreePartition);
        Assert.Equal(Sample.Start.AddMinutes(60), first.Request.QueuedUntil);
        Assert.Equal(RequestCodes.NoFreePartition, refused.Request.Error?.Code);
        Assert.Empty(plane.Bus.Published);
        Assert.Equal(3, await plane.Requests.PositionOfAsync((await plane.Requests.GetAsync(second.Request.Id, default))!, default));
    }

    [Fact]
    public async Task An_unassign_result_admits_the_highest_priority_oldest_queued_request_once()
    {
        using var plane = await FullNodeAsync();
        var first = await plane.SubmitAsync(Waiting("node1-vm0"));
        var second = await plane.SubmitAsync(Waiting("node1-vm1"));
        var urgent = await plane.SubmitAsync(Waiting("node1-vm2", priority: 5));

        await FreeOneAsync(plane, "node1-gpuvm0");

        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(urgent.Request.Id, default))!.Status);
        Assert.Equal(RequestStatus.Queued, (await plane.Requests.GetAsync(first.Request.Id, default))!.Status);
        Assert.Equal(1, await plane.Requests.PositionOfAsync(first.Request, default));
        Assert.Single(plane.Bus.Published, p => p.Command.Envelope.CorrelationId == urgent.Request.Id);

        await FreeOneAsync(plane, "node1-gpuvm1");

        Assert.Equal(RequestStatus.Dispatched, (await plane.Requests.GetAsync(first.Request.Id, default))!.Status);
        Assert.Equal(RequestStatus.Queued, (await plane.Requests.GetAsync(second.Request.Id, default))!.Status);
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Equal(2, ledger.ReservedPartitions);
        Assert.Equal(2, ledger.FreePartitions);
    }

    [Fact]
    public async Task A_policy_default_queues_requests_that_name_no_terms()
    {
        using var plane = await FullNodeAsync();
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Queue: new QueueTerms(30, 2)), Sample.Start, "tester", null, default);

        var outcome = await plane.AssignAsync("node1-vm0");

        Assert.Equal(RequestStatus.Queued, outcome.Request.Status);
        Assert.Equal(new QueueTerms(30, 2), outcome.Request.Queue);
    }

    [Fact]
    public async Task A_request_refused_by_the_reserve_waits_too()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 0, without: 3));
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: GpuAutomation.ControlPlane.Capacity.ReserveMode.Fixed, ReservePartitions: 1), Sample.Start, "tester", null, default);

        await plane.AssignAsync("node1-vm0");
        var waiting = await plane.SubmitAsync(Waiting("node1-vm1"));

        Assert.Equal(RequestStatus.Queued, waiting.Request.Status);
        Assert.Contains(waiting.Request.Warnings, w => w.Code == RequestCodes.HeadroomReserved);
    }

    [Fact]
    public async Task A_queued_request_past_its_wait_expires_with_the_reason()
    {
        using var plane = await FullNodeAsync();
        var queued = await plane.SubmitAsync(Waiting("node1-vm0", maxWaitMinutes: 10));

        plane.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, await plane.Get<QueueExpiry>().ExpireDueAsync(default));
        plane.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await plane.Get<QueueExpiry>().ExpireDueAsync(default));

        var expired = (await plane.Requests.GetAsync(queued.Request.Id, default))!;
        Assert.Equal(RequestStatus.Expired, expired.Status);
        Assert.Equal(RequestCodes.QueueExpired, expired.Error?.Code);
        Assert.Contains("No free GPU partition on node node1", expired.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(await plane.Get<RequestQueue>().ListAsync(Sample.Cluster, 10, default));

        // Capacity freeing later admits nothing: the request is over.
        await FreeOneAsync(plane, "node1-gpuvm0");
        Assert.Equal(RequestStatus.Expired, (await plane.Requests.GetAsync(queued.Request.Id, default))!.Status);
    }

    [Fact]
    public async Task An_operator_cancels_a_queued_request_and_only_a_queued_one()
    {
        using var plane = await FullNodeAsync();
        var queued = await plane.SubmitAsync(Waiting("node1-vm0"));

        var cancelled = await plane.Requests.CancelAsync(queued.Request.Id, "operator@contoso", default);

        Assert.Equal(RequestStatus.Cancelled, cancelled!.Status);
        Assert.Equal(RequestCodes.Cancelled, cancelled.Error?.Code);
        Assert.Contains("operator@contoso", cancelled.Error!.Message, StringComparison.Ordinal);
        var again = await Assert.ThrowsAsync<ControlPlaneException>(() => plane.Requests.CancelAsync(queued.Request.Id, "operator@contoso", default));
        Assert.Equal(RequestCodes.NotQueued, again.Code);
        Assert.Null(await plane.Requests.CancelAsync("no-such-request", "operator@contoso", default));

        await FreeOneAsync(plane, "node1-gpuvm0");
        Assert.Equal(RequestStatus.Cancelled, (await plane.Requests.GetAsync(queued.Request.Id, default))!.Status);
    }

    [Fact]
    public async Task The_queue_survives_a_restart_and_the_timer_admits_what_a_stopped_instance_missed()
    {
        var tables = Backends.InMemory();
        string id;
        using (var before = await FullNodeAsync(tables))
        {
            id = (await before.SubmitAsync(Waiting("node1-vm0"))).Request.Id;
        }

        using var after = new ControlPlaneHarness(tables, "restarted-");
        var ledger = (await after.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!;
        // Capacity freed while no instance ran a backfill (e.g. the instance that applied it stopped right after).
        await after.Store.SaveLedgerAsync(ledger.Ledger with { FreePartitions = 1 }, ledger.ETag, default);

        Assert.Equal(1, await after.Get<QueueBackfill>().BackfillAllAsync(default));
        Assert.Equal(0, await after.Get<QueueBackfill>().BackfillAllAsync(default));
        await after.DispatchWaitingAsync();
        Assert.Equal(RequestStatus.Dispatched, (await after.Requests.GetAsync(id, default))!.Status);
        Assert.Single(after.Bus.Published);
    }

    /// <summary>Two instances backfill the same queue at once on Azurite: every freed partition is admitted once, none twice.</summary>
    [Fact]
    public async Task Two_instances_backfilling_at_once_admit_each_request_once_and_never_past_capacity()
    {
        const int queued = 24;
        const int freed = 7;
        var tables = Backends.Azurite();
        using var a = new ControlPlaneHarness(tables, "a-");
        using var b = new ControlPlaneHarness(tables, "b-");
        await a.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 8, withPartition: 8, without: queued));
        var ids = new List<string>();
        for (var i = 0; i < queued; i++)
        {
            ids.Add((await (i % 2 == 0 ? a : b).SubmitAsync(Waiting($"node1-vm{i}", priority: i % 3))).Request.Id);
        }

        var ledger = (await a.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!;
        await a.Store.SaveLedgerAsync(ledger.Ledger with { FreePartitions = freed }, ledger.ETag, default);
        using var gate = new SemaphoreSlim(0);
        var runs = new[] { a, b, a, b }.Select(p => Task.Run(async () => { await gate.WaitAsync(); return await p.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default); })).ToList();
        gate.Release(runs.Count);
        var admitted = (await Task.WhenAll(runs)).Sum();
        await a.DispatchWaitingAsync();
        await b.DispatchWaitingAsync();

        Assert.Equal(freed, admitted);
        var published = a.Bus.Published.Concat(b.Bus.Published).Select(p => p.Command.Envelope.CorrelationId).ToList();
        Assert.Equal(freed, published.Count);
        Assert.Equal(freed, published.Distinct().Count());
        var states = await Task.WhenAll(ids.Select(id => a.Requests.GetAsync(id, default)));
        Assert.Equal(freed, states.Count(s => s!.Status == RequestStatus.Dispatched));
        Assert.Equal(queued - freed, states.Count(s => s!.Status == RequestStatus.Queued));
        Assert.Equal(queued - freed, (await a.Get<RequestQueue>().ListAsync(Sample.Cluster, 100, default)).Count);
        var reserved = (await a.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Equal(freed, reserved.ReservedPartitions);
        // Priority order: every admitted request has a priority at least that of every one still waiting.
        Assert.True(states.Where(s => s!.Status == RequestStatus.Dispatched).Min(s => s!.Queue!.Priority) >= states.Where(s => s!.Status == RequestStatus.Queued).Max(s => s!.Queue!.Priority));
    }
}
