using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

/// <summary>The cluster policy's reserve (issue 18, item 2) as admission applies it.</summary>
public sealed class ReserveAdmissionTests
{
    /// <summary>node1: 2 partitions, 1 held by a GPU VM; node2: 2 partitions, both free.</summary>
    private static async Task<ControlPlaneHarness> TwoNodesAsync(ProvisioningPolicy policy, IRecordTableSource? tables = null)
    {
        var plane = new ControlPlaneHarness(tables ?? Backends.InMemory());
        await plane.SeedAsync(
            Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 1, without: 2),
            Sample.Node("node2", Sample.Start, partitionCount: 2, withPartition: 0, without: 3));
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, policy, Sample.Start, "tester", null, default);
        return plane;
    }

    [Fact]
    public async Task N_plus_one_refuses_the_grant_that_would_strand_a_node_s_vms_and_names_the_numbers()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne));

        var first = await plane.AssignAsync("node2-vm0");
        var second = await plane.AssignAsync("node2-vm1");

        Assert.Equal(RequestStatus.Dispatched, first.Request.Status);
        Assert.True(second.IsRejected);
        Assert.Equal(RequestCodes.HeadroomReserved, second.Request.Error!.Code);
        // 2 free now (node1 1, node2 1 after the first grant); losing node2 would need 2 elsewhere, 1 would remain.
        Assert.Contains("2 partition(s) free now", second.Request.Error.Message, StringComparison.Ordinal);
        Assert.Contains("losing node node2 would need 2 free partition(s) on the other nodes for its 2 GPU VM(s), and 1 would remain", second.Request.Error.Message, StringComparison.Ordinal);
        Assert.True(RequestCodes.DependsOnState(RequestCodes.HeadroomReserved));
        Assert.Single(plane.Bus.Published);
        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node2", default))!.Ledger;
        Assert.Single(ledger.Reservations);
    }

    /// <summary>
    /// Free partitions on a GPU whose device reports a problem can't take a VM failing over, so they are no headroom:
    /// admission refuses the grant that relies on them, as the headroom API and compliance count them.
    /// </summary>
    [Fact]
    public async Task Partitions_on_a_gpu_in_error_are_no_headroom()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        // node1: 4 partitions, 1 held by a GPU VM; node2 the same, its 3 free ones on a GPU in error (code 43).
        var node2 = Sample.Node("node2", Sample.Start, partitionCount: 4, withPartition: 1, without: 2);
        node2 = node2 with { Gpus = [node2.Gpus[0] with { PnpStatus = "Error", PnpErrorCode = 43 }] };
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 1, without: 2), node2);
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start, "tester", null, default);

        // Losing node2 would need 1 free partition on node1 for its GPU VM, and node1 has 3: grants on node1 fit
        // while 1 stays free there; losing node1 needs its GPU VMs' partitions on node2, whose GPU is in error.
        var first = await plane.AssignAsync("node1-vm0");

        Assert.Equal(RequestCodes.HeadroomReserved, first.Request.Error?.Code);
        Assert.Contains("losing node node1 would need 2 free partition(s) on the other nodes for its 2 GPU VM(s), and 0 would remain", first.Request.Error!.Message, StringComparison.Ordinal);
        var headroom = FailoverHeadroom.Compute(Sample.Cluster, [.. (await plane.Get<InventoryStore>().GetClusterAsync(Sample.Cluster, default)).Nodes]);
        Assert.True(headroom.Losses.Single(l => l.Node == "node1").Short > 0);
    }

    [Fact]
    public async Task Without_a_reserve_the_same_grant_is_accepted()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([]));

        await plane.AssignAsync("node2-vm0");
        var second = await plane.AssignAsync("node2-vm1");

        Assert.False(second.IsRejected);
    }

    [Fact]
    public async Task A_fixed_reserve_keeps_that_many_partitions_free_across_the_cluster()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: 2));

        var first = await plane.AssignAsync("node2-vm0");
        var second = await plane.AssignAsync("node1-vm0");

        Assert.False(first.IsRejected);
        Assert.Equal(RequestCodes.HeadroomReserved, second.Request.Error?.Code);
        Assert.Contains("2 partition(s) free now (after requests in flight), 2 reserved by policy (reserve fixed), 1 would remain", second.Request.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warn_accepts_the_grant_with_the_breach_as_a_warning()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne, OnReserveBreach: ReserveBreachAction.Warn));

        await plane.AssignAsync("node2-vm0");
        var second = await plane.AssignAsync("node2-vm1");

        Assert.False(second.IsRejected);
        Assert.Contains(second.Request.Warnings, w => w.Code == RequestCodes.HeadroomReserved);
    }

    [Fact]
    public async Task A_released_partition_counts_again()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne));
        var first = await plane.AssignAsync("node2-vm0");

        // The assignment fails on the host: its partition is free again and the next grant fits.
        await plane.Intake.HandleAsync(plane.Result(first.Request, CommandOutcome.Failed), default);
        var again = await plane.AssignAsync("node2-vm1");

        Assert.False(again.IsRejected);
    }

    /// <summary>
    /// Holds are dropped lazily, by the next admission whose view of the node shows them. A grant that has settled
    /// (its partition taken, its reservation gone) before anyone dropped its hold must not count twice — once in the
    /// ledger's free figure and once as a hold — even for an instance that never saw its reservation.
    /// </summary>
    /// <summary>Two instances sharing the tables; node1 has 3 partitions free, node2 2, and the policy keeps 2.</summary>
    private static async Task<(ControlPlaneHarness A, ControlPlaneHarness B)> TwoInstancesKeepingTwoOfFiveAsync()
    {
        var tables = Backends.InMemory();
        var a = new ControlPlaneHarness(tables, "a-");
        var b = new ControlPlaneHarness(tables, "b-");
        await a.SeedAsync(
            Sample.Node("node1", Sample.Start, partitionCount: 4, withPartition: 1, without: 3),
            Sample.Node("node2", Sample.Start, partitionCount: 4, withPartition: 2, without: 3));
        await a.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: 2), Sample.Start, "tester", null, default);
        return (a, b);
    }

    [Fact]
    public async Task A_settled_grant_whose_hold_is_still_listed_counts_once()
    {
        var (a, b) = await TwoInstancesKeepingTwoOfFiveAsync();
        using var disposeA = a;
        using var disposeB = b;

        var first = await a.AssignAsync("node1-vm0");
        Assert.False(first.IsRejected, first.Request.Error?.Code + first.Request.Error?.Message);
        await a.Intake.HandleAsync(a.Result(first.Request, CommandOutcome.Succeeded), default);
        Assert.Contains((await b.Store.GetCapacityHoldsAsync(Sample.Cluster, default)).Holds.Holds, h => h.RequestId == first.Request.Id);

        // 4 free now: two more grants keep 2. Counted twice, the first grant's partition would refuse the second.
        var second = await b.AssignAsync("node1-vm1");
        var third = await b.AssignAsync("node2-vm0");
        var fourth = await b.AssignAsync("node2-vm1");

        Assert.False(second.IsRejected, second.Request.Error?.Message);
        Assert.False(third.IsRejected, third.Request.Error?.Message);
        Assert.Equal(RequestCodes.HeadroomReserved, fourth.Request.Error?.Code);
        Assert.DoesNotContain((await b.Store.GetCapacityHoldsAsync(Sample.Cluster, default)).Holds.Holds, h => h.RequestId == first.Request.Id);
    }

    /// <summary>
    /// Admission checks grants against ledgers it read or wrote earlier; a view is only trusted at or above its node's
    /// watermark, which a dropped hold raises. Here instance b holds an old view of node1 while a's grant there has
    /// gone from the holds row, and b has just read that row (as a sibling admission of the same instance would):
    /// trusting the old view, b would grant the partition the policy keeps.
    /// </summary>
    [Fact]
    public async Task A_view_older_than_a_dropped_hold_is_read_again_before_a_grant()
    {
        var (a, b) = await TwoInstancesKeepingTwoOfFiveAsync();
        using var disposeA = a;
        using var disposeB = b;

        var warm = await b.AssignAsync("node1-vm0");
        Assert.False(warm.IsRejected, warm.Request.Error?.Message);
        Assert.False((await a.AssignAsync("node1-vm1")).IsRejected);
        // a's next grant drops the hold of its first: a's own view of node1 shows that reservation.
        Assert.False((await a.AssignAsync("node1-vm2")).IsRejected);
        var row = (await b.Store.GetCapacityHoldsAsync(Sample.Cluster, default)).Holds;
        Assert.True(row.WatermarkOf("node1") > b.Store.PeekRecentLedger(Sample.Cluster, "node1", TimeSpan.MaxValue)!.Ledger.Version);

        // b's view of node2 is current (nobody wrote there), so its node batch would not catch the stale view of node1.
        var over = await b.AssignAsync("node2-vm0");

        Assert.Equal(RequestCodes.HeadroomReserved, over.Request.Error?.Code);
        Assert.Contains("2 partition(s) free now", over.Request.Error!.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two control-plane instances grant on different nodes at the same time; each grant alone keeps n+1, both
    /// together break it. Per-node ledger ETags alone let both through; the cluster's holds row lets exactly one.
    /// </summary>
    [Fact]
    public async Task Concurrent_grants_on_different_nodes_never_break_the_reserve_together()
    {
        for (var round = 0; round < 10; round++)
        {
            var tables = Backends.Azurite();
            using var a = new ControlPlaneHarness(tables, "a-");
            using var b = new ControlPlaneHarness(tables, "b-");
            // Three nodes of 2 partitions, one held by a GPU VM on each. A grant on node1 or on node2 alone keeps
            // n+1 (losing that node needs 2 and finds 2); both leave 1 free, and losing node1 (2 GPU VMs) would
            // need 2 elsewhere.
            await a.SeedAsync(
                Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 1, without: 1),
                Sample.Node("node2", Sample.Start, partitionCount: 2, withPartition: 1, without: 1),
                Sample.Node("node3", Sample.Start, partitionCount: 2, withPartition: 1, without: 0));
            await a.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne), Sample.Start, "tester", null, default);

            using var gate = new SemaphoreSlim(0);
            var one = Task.Run(async () => { await gate.WaitAsync(); return await a.AssignAsync("node1-vm0"); });
            var two = Task.Run(async () => { await gate.WaitAsync(); return await b.AssignAsync("node2-vm0"); });
            gate.Release(2);
            var outcomes = await Task.WhenAll(one, two);

            Assert.Single(outcomes, o => !o.IsRejected);
            Assert.Single(outcomes, o => o.Request.Error?.Code == RequestCodes.HeadroomReserved);
        }
    }
}
