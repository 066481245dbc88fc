using System.Diagnostics.Metrics;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.ControlPlane.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.ControlPlane.Tests.Queueing;

/// <summary>
/// gpu.queue.length (issue 20's queue length of queued requests): two control plane instances on one set of tables,
/// requests queued through one and admitted through the other; each instance's gauge shows what the queue holds.
/// </summary>
public sealed class QueueMetricsTests : IDisposable
{
    private readonly List<ServiceProvider> _meterFactories = [];

    private static PartitionRequestSubmission Waiting(string vm)
        => PartitionRequestSubmission.Assign(Sample.Cluster, vm, requestedBy: "tester") with { Queue = new QueueTerms(60, 0) };

    public void Dispose() => _meterFactories.ForEach(f => f.Dispose());

    [Fact]
    public async Task Every_instance_reports_the_queue_the_table_holds_whichever_instance_added_or_removed_the_entries()
    {
        var tables = Backends.InMemory();
        using var first = new ControlPlaneHarness(tables, "a-");
        using var second = new ControlPlaneHarness(tables, "b-");
        await first.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 4));
        using var firstGauge = Gauge(first, out var firstFactory);
        using var secondGauge = Gauge(second, out var secondFactory);
        var cluster = Sample.Cluster.ToLowerInvariant();

        Assert.Empty(Read(firstFactory));
        Advance(first);
        Assert.Equal(RequestStatus.Queued, (await first.SubmitAsync(Waiting("node1-vm0"))).Request.Status);
        Assert.Equal(RequestStatus.Queued, (await first.SubmitAsync(Waiting("node1-vm1"))).Request.Status);

        // The second instance added nothing, yet reports both: the figure is the table's, not this instance's tally.
        Assert.Equal(2, Read(firstFactory)[cluster]);
        Assert.Equal(2, Read(secondFactory)[cluster]);

        // The second instance takes a result that frees a partition and admits the oldest queued request.
        await FreeOneAsync(second, "node1-gpuvm0");
        Advance(first, second);
        Assert.Equal(1, Read(firstFactory)[cluster]);
        Assert.Equal(1, Read(secondFactory)[cluster]);

        // Emptied: the cluster that had a queue now reports 0 rather than vanishing from the chart.
        await FreeOneAsync(second, "node1-gpuvm1");
        Advance(first, second);
        Assert.Equal(0, Read(firstFactory)[cluster]);
        Assert.Equal(0, Read(secondFactory)[cluster]);
    }

    [Fact]
    public async Task Readings_within_the_reuse_window_do_not_read_the_table_again()
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 4));
        using var gauge = Gauge(plane, out var factory);
        var cluster = Sample.Cluster.ToLowerInvariant();
        await plane.SubmitAsync(Waiting("node1-vm0"));
        Assert.Equal(1, Read(factory)[cluster]);

        await plane.SubmitAsync(Waiting("node1-vm1"));
        plane.Time.Advance(QueueMetrics.ReuseFor - TimeSpan.FromSeconds(1));
        Assert.Equal(1, Read(factory)[cluster]);
        plane.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Read(factory)[cluster]);
    }

    private static async Task FreeOneAsync(ControlPlaneHarness plane, string holder)
    {
        var unassign = await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, holder));
        Assert.False(unassign.IsRejected, unassign.Request.Error?.Message);
        await plane.Intake.HandleAsync(plane.Result(unassign.Request, Contracts.Reports.CommandOutcome.Succeeded), default);
    }

    private static void Advance(params ControlPlaneHarness[] planes)
    {
        foreach (var plane in planes)
        {
            plane.Time.Advance(QueueMetrics.ReuseFor);
        }
    }

    /// <summary>The instance's gauge on a meter factory of its own, so a listener hears this instance only.</summary>
    private QueueMetrics Gauge(ControlPlaneHarness plane, out IMeterFactory factory)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _meterFactories.Add(services);
        factory = services.GetRequiredService<IMeterFactory>();
        return new QueueMetrics(plane.Get<RequestQueue>(), plane.Time, NullLogger<QueueMetrics>.Instance, factory);
    }

    private static Dictionary<string, int> Read(IMeterFactory factory)
    {
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "gpu.queue.length")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) => values[(string)tags.ToArray().Single(t => t.Key == "gpu.cluster").Value!] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
