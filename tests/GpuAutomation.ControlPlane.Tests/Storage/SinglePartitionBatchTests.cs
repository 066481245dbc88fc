using Azure.Data.Tables;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.Testing;

namespace GpuAutomation.ControlPlane.Tests.Storage;

/// <summary>Azurite accepts batches over several partitions, Table Storage doesn't: watch every batch on the wire.</summary>
public sealed class SinglePartitionBatchTests
{
    [Fact]
    public async Task The_spy_sees_a_cross_partition_batch_when_one_is_sent()
    {
        var spy = new BatchPartitionSpy();
        var options = new TableClientOptions();
        options.AddPolicy(spy, Azure.Core.HttpPipelinePosition.PerCall);
        var table = new TableServiceClient(TestServices.AzuriteTablesConnectionString, options).GetTableClient("spy" + Guid.NewGuid().ToString("N")[..12]);
        await table.CreateIfNotExistsAsync();

        await table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("a", "1")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("b", "1")),
        ]);

        var batch = Assert.Single(spy.Batches);
        Assert.Equal(["a", "b"], batch.PartitionKeys.Order(StringComparer.Ordinal));
        Assert.Equal(2, batch.Operations);
    }

    [Fact]
    public async Task Every_batch_of_a_full_request_lifecycle_stays_in_one_partition()
    {
        var spy = new BatchPartitionSpy();
        using var plane = new ControlPlaneHarness(Backends.Azurite(spy));
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 1, without: 3), Sample.Node("node2", Sample.Start, partitionCount: 2, without: 2));

        var assign = (await plane.AssignAsync("node1-vm0", idempotencyKey: "k1")).Request;
        await plane.AssignAsync("node1-vm1");
        await plane.Intake.HandleAsync(plane.Progress(assign, "ensure-vm-off"), default);
        await plane.Intake.HandleAsync(plane.Result(assign, CommandOutcome.Succeeded, Sample.Node("node1", Sample.Start.AddMinutes(1), partitionCount: 2, withPartition: 2, without: 2)), default);
        var unassign = (await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, "node1-gpuvm0"))).Request;
        plane.Bus.IsDown = true;
        var countChange = (await plane.SubmitAsync(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node2", 8))).Request;
        plane.Bus.IsDown = false;
        plane.Time.Advance(TimeSpan.FromMinutes(5));
        await plane.Sweeper.SweepAsync(default);
        plane.Time.Advance(TimeSpan.FromHours(1));
        await plane.Timeouts.TimeOutStaleAsync(default);

        Assert.Equal(RequestStatus.Succeeded, (await plane.Requests.GetAsync(assign.Id, default))!.Status);
        Assert.Equal(RequestStatus.TimedOut, (await plane.Requests.GetAsync(unassign.Id, default))!.Status);
        Assert.Equal(RequestStatus.TimedOut, (await plane.Requests.GetAsync(countChange.Id, default))!.Status);
        Assert.NotEmpty(spy.Batches);
        Assert.Contains(spy.Batches, b => b.Operations >= 3);
        Assert.All(spy.Batches, b => Assert.Single(b.PartitionKeys));
    }
}
