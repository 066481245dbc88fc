using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Partitioning;

/// <summary>
/// A cluster's partition count changes on every node or on none: the architecture forbids a cluster left with two
/// counts. (The old API adapter admitted node by node and answered 202 with node1 sent and node2 refused.)
/// </summary>
public sealed class ClusterPartitionCountChangeTests : IDisposable
{
    private readonly ControlPlaneHarness _plane = new(new InMemoryRecordTableSource());

    public void Dispose() => _plane.Dispose();

    private static ClusterPartitionCountChange Change(int count, string? key = null)
        => new(Sample.Cluster, count, null, RequestOrigin.Api, "tester", key);

    private async Task<IReadOnlyList<PartitionRequest>> CountChangesAsync()
        => [.. (await _plane.Requests.ListAsync(new RequestListQuery(Sample.Cluster, PageSize: 200), default)).Requests.Where(r => r.Action == PartitionAction.ConfigurePartitionCount)];

    [Fact]
    public async Task One_busy_node_refuses_the_whole_change_and_nothing_is_stored_or_sent()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var busy = await _plane.AssignAsync("node2-vm0");
        var publishedBefore = _plane.Bus.Published.Count;

        var outcome = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8), default);
        await _plane.DispatchWaitingAsync();

        Assert.True(outcome.IsRefused);
        var refusal = Assert.Single(outcome.Refusals);
        Assert.Equal(("node2", RequestCodes.NodeBusy), (refusal.Node, refusal.Reason.Code));
        Assert.Contains(busy.Request.Id, refusal.Reason.Message, StringComparison.Ordinal);
        Assert.Empty(outcome.Requests);
        Assert.Empty(await CountChangesAsync());
        Assert.Equal(publishedBefore, _plane.Bus.Published.Count);
    }

    [Fact]
    public async Task Every_refusing_node_is_named_with_its_own_reason()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, withPartition: 1), Sample.Node("node2", Sample.Start));
        await _plane.AssignAsync("node2-vm0");

        var outcome = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8), default);

        Assert.Equal(
            [("node1", RequestCodes.PartitionsAssigned)],
            outcome.Refusals.Select(r => (r.Node, r.Reason.Code)));
        Assert.Empty(await CountChangesAsync());
    }

    [Fact]
    public async Task Different_driver_versions_let_the_change_through_with_the_warning_on_every_request()
    {
        await _plane.SeedAsync(
            Sample.Node("node1", Sample.Start) with { Gpus = [Sample.Gpu("gpu-node1-0", 4, driverVersion: "32.0.15.5324")] },
            Sample.Node("node2", Sample.Start) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, driverVersion: "32.0.15.5612")] });

        var outcome = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8), default);

        Assert.False(outcome.IsRefused);
        Assert.Equal(2, outcome.Requests.Count);
        Assert.All(outcome.Requests, r => Assert.Contains(r.Warnings, w => w.Code == RequestCodes.DriverVersionsDiffer));
    }

    [Fact]
    public async Task Gpus_of_one_model_but_different_memory_refuse_the_change_on_every_node()
    {
        await _plane.SeedAsync(
            Sample.Node("node1", Sample.Start),
            Sample.Node("node2", Sample.Start) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, memoryMiB: 8192)] });

        var outcome = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8), default);

        Assert.True(outcome.IsRefused);
        Assert.All(outcome.Refusals, r => Assert.Equal(RequestCodes.ClusterHeterogeneous, r.Reason.Code));
        Assert.Empty(await CountChangesAsync());
    }

    [Fact]
    public async Task An_idle_cluster_gets_one_request_per_node_all_sent_and_one_cluster_view_of_warnings()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));

        var outcome = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8, "k1"), default);
        await _plane.DispatchWaitingAsync();

        Assert.False(outcome.IsRefused);
        Assert.Equal(["node1", "node2"], outcome.Requests.Select(r => r.Node).Order());
        Assert.Empty(outcome.Warnings);
        Assert.Equal(2, _plane.Bus.Published.Count(p => p.Command.Envelope.MessageType == GpuAutomation.Contracts.Messaging.MessageTypes.ConfigurePartitionCount));
        Assert.All(await CountChangesAsync(), r => Assert.Equal(RequestStatus.Dispatched, r.Status));
    }

    [Fact]
    public async Task A_retried_key_returns_the_first_change_and_sends_nothing_more()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var first = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8, "k2"), default);
        await _plane.DispatchWaitingAsync();
        var published = _plane.Bus.Published.Count;

        var again = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8, "k2"), default);
        await _plane.DispatchWaitingAsync();

        Assert.True(again.IsExisting);
        Assert.Equal(first.Requests.Select(r => r.Id).Order(), again.Requests.Select(r => r.Id).Order());
        Assert.Equal(published, _plane.Bus.Published.Count);
        Assert.Equal(2, (await CountChangesAsync()).Count);
    }

    [Fact]
    public async Task A_refused_change_leaves_its_key_free_for_a_retry_once_the_node_is_idle()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var busy = await _plane.AssignAsync("node2-vm0");
        Assert.True((await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8, "k3"), default)).IsRefused);
        await _plane.Intake.HandleAsync(_plane.Result(busy.Request, GpuAutomation.Contracts.Reports.CommandOutcome.Succeeded), default);

        var retried = await _plane.Requests.ChangeClusterPartitionCountAsync(Change(8, "k3"), default);

        Assert.False(retried.IsRefused, string.Join("; ", retried.Refusals.Select(r => r.Reason.Message)));
        Assert.False(retried.IsExisting);
        Assert.Equal(2, retried.Requests.Count);
    }
}
