using GpuAutomation.ControlPlane.Tests.Storage;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

/// <summary>Hundreds of simultaneous assigns against Azurite for fewer free partitions.</summary>
public sealed class ConcurrentAssignTests
{
    [Fact]
    public async Task Simultaneous_assigns_accept_exactly_the_free_partitions_and_lose_no_request()
    {
        const int free = 7;
        const int contenders = 200;
        var spy = new BatchPartitionSpy();
        using var plane = new ControlPlaneHarness(Backends.Azurite(spy));
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 8, withPartition: 8 - free, without: contenders));

        using var gate = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, contenders).Select(async i =>
        {
            await gate.WaitAsync();
            return await plane.AssignAsync($"node1-vm{i}");
        }).ToList();
        gate.Release(contenders);
        var outcomes = await Task.WhenAll(tasks);

        var accepted = outcomes.Where(o => !o.IsRejected).ToList();
        Assert.Equal(free, accepted.Count);
        Assert.All(outcomes.Where(o => o.IsRejected), o => Assert.Equal(RequestCodes.NoFreePartition, o.Request.Error?.Code));
        Assert.Equal(free, plane.Bus.Published.Count);
        Assert.Equal(accepted.Select(a => a.Request.CommandId).Order(), plane.Bus.Published.Select(p => p.Command.Envelope.MessageId).Order());

        var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
        Assert.Equal(free, ledger.ReservedPartitions);
        Assert.Equal(accepted.Select(a => a.Request.Id).Order(), ledger.Reservations.Select(r => r.RequestId).Order());

        var stored = new List<PartitionRequest>();
        string? token = null;
        do
        {
            var page = await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster, Node: "node1", PageSize: 100, ContinuationToken: token), default);
            stored.AddRange(page.Requests);
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(outcomes.Select(o => o.Request.Id).Order(), stored.Select(r => r.Id).Order());
        Assert.All(spy.Batches, b => Assert.Single(b.PartitionKeys));
    }
}
