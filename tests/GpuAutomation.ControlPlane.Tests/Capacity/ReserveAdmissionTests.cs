using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
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
    public async Task A_completed_grant_leaves_no_hold_behind_and_a_released_partition_counts_again()
    {
        using var plane = await TwoNodesAsync(new ProvisioningPolicy([], Reserve: ReserveMode.NPlusOne));
        var first = await plane.AssignAsync("node2-vm0");
        Assert.Empty((await plane.Store.GetCapacityHoldsAsync(Sample.Cluster, default)).Holds.Holds);

        // The assignment fails on the host: its partition is free again and the next grant fits.
        await plane.Intake.HandleAsync(plane.Result(first.Request, CommandOutcome.Failed), default);
        var again = await plane.AssignAsync("node2-vm1");

        Assert.False(again.IsRejected);
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
