using FsCheck.Xunit;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Queueing;

/// <summary>Issue 18's properties for the reserve and the queue, over random scripts against the in-memory tables.</summary>
public sealed class QueuePropertyTests
{
    /// <summary>
    /// Any sequence of assigns and their results on a 3-node n+1 cluster: admission grants exactly when a model of the
    /// cluster says the grant fits and keeps n+1, so the reserve holds after every grant (and nothing is refused that fits).
    /// </summary>
    [Property(MaxTest = 40)]
    public async Task The_n_plus_one_reserve_holds_after_every_grant(int[] script)
    {
        const int Capacity = 2;
        string[] nodes = ["node1", "node2", "node3"];
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync([.. nodes.Select(n => Sample.Node(n, Sample.Start, partitionCount: Capacity, withPartition: 0, without: 3))]);
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start, "tester", null, default);
        var holding = nodes.ToDictionary(n => n, _ => 0);
        var inFlight = new List<PartitionRequest>();
        var assigned = new HashSet<string>(StringComparer.Ordinal);

        bool KeepsNPlusOne(Dictionary<string, int> taken)
        {
            var free = taken.ToDictionary(t => t.Key, t => Capacity - t.Value);
            return taken.All(t => free.Where(f => f.Key != t.Key).Sum(f => f.Value) >= t.Value);
        }

        foreach (var step in (script ?? []).Take(30))
        {
            var n = step & 0x7fffffff;
            if (n % 3 != 0 || inFlight.Count == 0)
            {
                var vm = $"{nodes[n % 3]}-vm{n / 3 % 3}";
                if (assigned.Contains(vm))
                {
                    continue;
                }

                var node = nodes[n % 3];
                var taken = holding.ToDictionary(h => h.Key, h => h.Value + inFlight.Count(r => r.Node == h.Key));
                taken[node]++;
                var fits = taken[node] <= Capacity && KeepsNPlusOne(taken);
                var outcome = await plane.AssignAsync(vm);
                Assert.True(fits == !outcome.IsRejected, $"{vm}: model says fits={fits}, admission said {outcome.Request.Status} {outcome.Request.Error?.Code}");
                if (!outcome.IsRejected)
                {
                    inFlight.Add(outcome.Request);
                    assigned.Add(vm);
                }
            }
            else
            {
                var done = inFlight[n / 3 % inFlight.Count];
                inFlight.Remove(done);
                plane.Time.Advance(TimeSpan.FromSeconds(1));
                var succeeded = n / 3 % 2 == 0;
                if (succeeded)
                {
                    holding[done.Node]++;
                }
                else
                {
                    assigned.Remove(done.VmName!);
                }

                await plane.Intake.HandleAsync(plane.Result(done, succeeded ? CommandOutcome.Succeeded : CommandOutcome.Failed, After(done.Node, plane.Time.GetUtcNow(), assigned, inFlight, Capacity)), default);
            }

            var now = holding.ToDictionary(h => h.Key, h => h.Value + inFlight.Count(r => r.Node == h.Key));
            Assert.True(KeepsNPlusOne(now), string.Join(", ", now.Select(t => $"{t.Key}={t.Value}")));
        }
    }

    /// <summary>
    /// Requests of random priorities queue on a full node; partitions then free one at a time, and the order in which
    /// they are admitted is by priority, then by submission (FIFO within a priority).
    /// </summary>
    [Property(MaxTest = 25)]
    public async Task The_queue_is_fifo_within_a_priority(byte[] priorities)
    {
        var wanted = (priorities ?? []).Take(8).Select(p => p % 3).ToList();
        if (wanted.Count == 0)
        {
            return;
        }

        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 8, withPartition: 8, without: wanted.Count));
        var queued = new List<(string Id, int Priority, int Order)>();
        for (var i = 0; i < wanted.Count; i++)
        {
            plane.Time.Advance(TimeSpan.FromMilliseconds(1));
            var outcome = await plane.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, $"node1-vm{i}") with { Queue = new QueueTerms(600, wanted[i]) });
            Assert.Equal(RequestStatus.Queued, outcome.Request.Status);
            queued.Add((outcome.Request.Id, wanted[i], i));
        }

        var admittedOrder = new List<string>();
        for (var i = 0; i < wanted.Count; i++)
        {
            var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, $"node1-gpuvm{i}"));
            await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
            foreach (var (id, _, _) in queued.Where(q => !admittedOrder.Contains(q.Id)))
            {
                if ((await plane.Requests.GetAsync(id, default))!.Status != RequestStatus.Queued)
                {
                    admittedOrder.Add(id);
                }
            }

            Assert.Equal(i + 1, admittedOrder.Count);
        }

        var expected = queued.OrderByDescending(q => q.Priority).ThenBy(q => q.Order).Select(q => q.Id).ToList();
        Assert.Equal(expected, admittedOrder);
    }

    /// <summary>
    /// Queued requests, capacity freeing and control-plane restarts (a new instance over the same tables, the old
    /// one's dispatch queue lost) in any order: no queued request is lost, none is admitted twice, and never more
    /// than the freed capacity is admitted.
    /// </summary>
    [Property(MaxTest = 30)]
    public async Task No_queued_request_is_lost_or_admitted_twice_across_restarts(int[] script)
    {
        var tables = Backends.InMemory();
        var planes = new List<ControlPlaneHarness> { new(tables, "i0-") };
        try
        {
            await planes[0].SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 4, without: 12));
            var ids = new List<string>();
            var freed = 0;
            foreach (var step in (script ?? []).Take(25))
            {
                var plane = planes[^1];
                switch ((step & 0x7fffffff) % 4)
                {
                    case 0 or 1 when ids.Count < 12:
                        ids.Add((await plane.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, $"node1-vm{ids.Count}") with { Queue = new QueueTerms(600, step & 1) })).Request.Id);
                        break;
                    case 2 when freed < 4:
                        var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, $"node1-gpuvm{freed}"));
                        await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
                        freed++;
                        break;
                    case 3:
                        planes.Add(new ControlPlaneHarness(tables, $"i{planes.Count}-"));
                        break;
                    default:
                        break;
                }
            }

            // The last instance's timer pass: sweeps leftover outbox rows and backfills what a restart missed.
            var last = planes[^1];
            last.Time.Advance(TimeSpan.FromMinutes(1));
            await last.Sweeper.SweepAsync(default);
            await last.Get<QueueBackfill>().BackfillAllAsync(default);
            await last.DispatchWaitingAsync();

            var states = await Task.WhenAll(ids.Select(id => last.Requests.GetAsync(id, default)));
            var admitted = states.Where(s => s!.Status != RequestStatus.Queued).ToList();
            Assert.All(admitted, s => Assert.Equal(RequestStatus.Dispatched, s!.Status));
            Assert.Equal(Math.Min(freed, ids.Count), admitted.Count);
            var entries = await last.Get<RequestQueue>().ListAsync(Sample.Cluster, 100, default);
            Assert.Equal(states.Where(s => s!.Status == RequestStatus.Queued).Select(s => s!.Id).Order(), entries.Select(e => e.RequestId).Order());
            var assigns = planes.SelectMany(p => p.Bus.Published).Where(p => p.Command.Envelope.MessageType == Contracts.Messaging.MessageTypes.AssignPartition)
                .GroupBy(p => p.Command.Envelope.CorrelationId).ToList();
            Assert.Equal(admitted.Count, assigns.Count);
            var ledger = (await last.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
            Assert.Equal(admitted.Count, ledger.ReservedPartitions);
        }
        finally
        {
            foreach (var plane in planes)
            {
                plane.Dispose();
            }
        }
    }

    /// <summary>
    /// Queued requests on a full node1, partitions freeing on node2 and node3 (moves allowed), restarts, and instances
    /// that stop at any step of a placement (the claim, the tentative assignment, the commit, the index write), in any
    /// order: after the timer's pass every request is one row, placed at most once (one move request per placed VM),
    /// exactly as many placed as partitions freed, never more reserved than freed, and every request still waiting is
    /// in the queue without a claim.
    /// </summary>
    [Property(MaxTest = 60)]
    public Task Placements_from_the_queue_survive_racing_and_stopped_instances(byte[] script) => PlacementsSurviveAsync(script);

    /// <summary>
    /// Scripts the property once shrank to: a backfill pass that stopped early (nothing free) left the queue entry of a
    /// request an instance had placed before it stopped, a stopped instance's claim on a request still waiting, and
    /// (once such claims were settled) the partition the settled claim gave back unused until the next pass.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0, 71, 6 })]
    [InlineData(new byte[] { 0, 11, 0, 42 })]
    [InlineData(new byte[] { 0, 113, 114 })]
    public Task Placements_from_the_queue_survive_the_scripts_that_once_failed(byte[] script) => PlacementsSurviveAsync(script);

    private static async Task PlacementsSurviveAsync(byte[] script)
    {
        const int Vms = 8;
        const int Held = 4;
        var tables = Backends.InMemory();
        var now = Sample.Start;
        var planes = new List<ControlPlaneHarness> { new(tables, "i0-") };
        var ids = new List<string>();
        var freed = new Dictionary<string, int> { ["node2"] = 0, ["node3"] = 0 };
        var publishedByStopped = new List<string?>();
        ControlPlaneHarness Current()
        {
            planes[^1].Time.SetUtcNow(now);
            return planes[^1];
        }

        try
        {
            await planes[0].SeedAsync(
                Sample.Node("node1", Sample.Start, partitionCount: Held, withPartition: Held, without: Vms),
                Sample.Node("node2", Sample.Start, partitionCount: Held, withPartition: Held, without: 0),
                Sample.Node("node3", Sample.Start, partitionCount: Held, withPartition: Held, without: 0));
            await planes[0].Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Moves: MovePolicy.WhenOff), Sample.Start, "tester", null, default);
            async Task FreeWithoutBackfillAsync(string node)
            {
                // Freed by an instance that stopped before its backfill: a later pass (or a stopping one) finds it.
                var ledger = (await Current().Store.GetLedgerAsync(Sample.Cluster, node, default))!;
                await Current().Store.SaveLedgerAsync(ledger.Ledger with { FreePartitions = ledger.Ledger.FreePartitions + 1 }, ledger.ETag, default);
                freed[node]++;
            }

            foreach (var step in (script ?? []).Take(30))
            {
                now += TimeSpan.FromSeconds(1);
                var n = (int)step;
                switch (n % 6)
                {
                    case 0 or 1 when ids.Count < Vms:
                        var queued = await Current().SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, $"node1-vm{ids.Count}") with { Queue = new QueueTerms(600, n / 6 % 3) });
                        ids.Add(queued.Request.Id);
                        break;
                    case 2 or 3:
                        var node = n / 6 % 2 == 0 ? "node2" : "node3";
                        if (freed[node] < Held && n % 6 == 2)
                        {
                            var plane = Current();
                            var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, $"{node}-gpuvm{freed[node]}"));
                            await plane.Intake.HandleAsync(plane.Result(unassign.Request, CommandOutcome.Succeeded), default);
                            await plane.DispatchWaitingAsync();
                            freed[node]++;
                        }
                        else if (freed[node] < Held)
                        {
                            await FreeWithoutBackfillAsync(node);
                        }

                        break;
                    case 4:
                        planes.Add(new ControlPlaneHarness(tables, $"i{planes.Count}-"));
                        break;
                    default:
                        // An instance applies a result that freed a partition, and stops somewhere in the backfill that follows.
                        if (freed[n / 24 % 2 == 0 ? "node2" : "node3"] < Held)
                        {
                            await FreeWithoutBackfillAsync(n / 24 % 2 == 0 ? "node2" : "node3");
                        }

                        var crashing = new CrashingTables(tables) { CrashOn = CrashPoint(n / 6 % 4) };
                        using (var stopping = new ControlPlaneHarness(crashing, $"c{publishedByStopped.Count}-{now.Ticks}-"))
                        {
                            stopping.Time.SetUtcNow(now);
                            try
                            {
                                await stopping.Get<QueueBackfill>().BackfillAsync(Sample.Cluster, default);
                                await stopping.DispatchWaitingAsync();
                            }
                            catch (SimulatedCrashException)
                            {
                            }

                            publishedByStopped.AddRange(stopping.Bus.Published.Where(p => p.Command.Envelope.MessageType == MessageTypes.MoveVm).Select(p => p.Command.Envelope.CorrelationId));
                        }

                        break;
                }
            }

            // The timer's pass, past every grace period, on the last instance.
            now += TimeSpan.FromMinutes(3);
            var last = Current();
            await last.Sweeper.SweepAsync(default);
            await last.Get<PlacementContinuation>().SweepAsync(default);
            await last.Get<QueueBackfill>().BackfillAllAsync(default);
            await last.DispatchWaitingAsync();

            var states = (await Task.WhenAll(ids.Select(id => last.Requests.GetAsync(id, default)))).Select(s => s!).ToList();
            var rows = (await last.Requests.ListAsync(new RequestListQuery(Sample.Cluster, PageSize: 1000), default)).Requests;
            Assert.All(ids, id => Assert.Single(rows, r => r.Id == id));
            var placed = states.Where(s => s.Status != RequestStatus.Queued).ToList();
            Assert.All(placed, s => Assert.True(s.WaitsForMove && s.Node != "node1", $"{s.Id}: {s.Status} on {s.Node}"));
            Assert.Equal(Math.Min(freed.Values.Sum(), ids.Count), placed.Count);
            var moves = rows.Where(r => r.Action == PartitionAction.Move).ToList();
            Assert.Equal(placed.Count, moves.Count);
            Assert.Equal(placed.Select(p => p.Placement!.MoveRequestId).Order(), moves.Select(m => m.Id).Order());
            var published = planes.SelectMany(p => p.Bus.Published).Where(p => p.Command.Envelope.MessageType == MessageTypes.MoveVm).Select(p => p.Command.Envelope.CorrelationId).Concat(publishedByStopped).Distinct().Order();
            Assert.Equal(moves.Select(m => m.Id).Order(), published);
            foreach (var node in freed.Keys)
            {
                var ledger = (await last.Store.GetLedgerAsync(Sample.Cluster, node, default))!.Ledger;
                Assert.Equal(placed.Count(p => p.Node == node), ledger.ReservedPartitions);
                Assert.True(ledger.ReservedPartitions <= freed[node], $"{node}: {ledger.ReservedPartitions} reserved, {freed[node]} freed");
            }

            var waiting = states.Where(s => s.Status == RequestStatus.Queued).ToList();
            Assert.All(waiting, s => Assert.Null(s.Placement));
            var entries = await last.Get<RequestQueue>().ListAsync(Sample.Cluster, 100, default);
            Assert.Equal(waiting.Select(s => s.Id).Order(), entries.Select(e => e.RequestId).Order());
        }
        finally
        {
            foreach (var plane in planes)
            {
                plane.Dispose();
            }
        }
    }

    /// <summary>Where a stopping instance dies in a placement: claim, tentative assignment, commit, or the index write after it.</summary>
    private static Func<string, IReadOnlyList<RowChange>, bool> CrashPoint(int which) => which switch
    {
        0 => (table, changes) => table == RequestStore.TableName && changes.Count == 1 && changes[0].Kind == RowChangeKind.Replace && changes[0].Row.PartitionKey.EndsWith(".node1", StringComparison.Ordinal) && changes[0].Row.RowKey.StartsWith("r-", StringComparison.Ordinal),
        1 => (table, changes) => table == RequestStore.TableName && changes.Any(c => c.Row.RowKey.StartsWith("r-", StringComparison.Ordinal) && !c.Row.PartitionKey.EndsWith(".node1", StringComparison.Ordinal)),
        2 => (table, changes) => table == RequestStore.TableName && changes.Any(c => c.Kind == RowChangeKind.Delete && c.Row.RowKey.StartsWith("r-", StringComparison.Ordinal)),
        _ => (table, changes) => table == RequestIndex.TableName && changes.Any(c => c.Row.GetString("Partition") is { } partition && !partition.EndsWith(".node1", StringComparison.Ordinal)),
    };

    /// <summary>The node's inventory after a result, as the model has it: assigned VMs hold a partition unless still in flight.</summary>
    private static NodeInventory After(string node, DateTimeOffset at, HashSet<string> assigned, List<PartitionRequest> inFlight, int capacity)
    {
        var gpuPath = $"gpu-{node}-0";
        var holders = assigned.Where(v => v.StartsWith(node + "-", StringComparison.Ordinal) && inFlight.All(r => r.VmName != v)).Order(StringComparer.Ordinal).ToList();
        var vms = Enumerable.Range(0, 3).Select(i => $"{node}-vm{i}").Select(v => Sample.Vm(v, node, holders.Contains(v) ? gpuPath : null)).ToList();
        return new NodeInventory(node, at, new HostFacts("26100", true, true), [Sample.Gpu(gpuPath, capacity, holders)], vms);
    }
}
