using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;

namespace GpuAutomation.ControlPlane.Diagnostics;

/// <summary>
/// Observable gauges over the inventory snapshots this instance took in: partitions total, assigned and free per
/// cluster, node and GPU model; the age of each node's inventory; the failover headroom of each cluster (spare
/// partitions if its worst node is lost; negative: that many GPU VMs would not restart). Each control plane instance
/// reports the snapshots it handled, so across scaled-out instances read the latest value per node (max by time).
/// </summary>
public sealed class CapacityMetrics : IDisposable
{
    private readonly ConcurrentDictionary<(string Cluster, string Node), NodeInventory> _latest = new();
    private readonly TimeProvider _time;
    private readonly Meter _meter;

    public CapacityMetrics(TimeProvider time, IMeterFactory? meterFactory = null)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _meter = meterFactory?.Create(ControlPlaneTelemetry.Name) ?? new Meter(ControlPlaneTelemetry.Name);
        _meter.CreateObservableGauge("gpu.partitions.total", () => PerModel(g => g.PartitionCount), "{partition}", "Partitions configured on partitioned GPUs, per cluster, node and GPU model.");
        _meter.CreateObservableGauge("gpu.partitions.assigned", () => PerModel(g => g.Partitions.Count), "{partition}", "Partitions assigned to VMs, per cluster, node and GPU model.");
        _meter.CreateObservableGauge("gpu.partitions.free", () => PerModel(g => g.FreePartitions), "{partition}", "Partitions free for a VM, per cluster, node and GPU model.");
        _meter.CreateObservableGauge("gpu.inventory.age", InventoryAge, "s", "Seconds since the node's latest inventory was read on the host.");
        _meter.CreateObservableGauge("gpu.failover.headroom", Headroom, "{partition}", "Free partitions left if the cluster's worst node is lost (negative: GPU VMs that would not restart).");
        // From nvidia-smi, per GPU; a GPU without the tool's figures has no series at all (absent, not zero).
        _meter.CreateObservableGauge("gpu.utilization", () => PerGpu(u => u.GpuPercent), "%", "GPU utilization (nvidia-smi utilization.gpu) per GPU.");
        _meter.CreateObservableGauge("gpu.memory.utilization", () => PerGpu(u => u.MemoryPercent), "%", "GPU memory utilization (nvidia-smi utilization.memory) per GPU.");
        _meter.CreateObservableGauge("gpu.memory.used", () => PerGpu(u => u.MemoryUsedMiB), "MiBy", "Frame buffer in use (nvidia-smi memory.used) per GPU.");
    }

    /// <summary>Keeps <paramref name="snapshot"/> as the node's latest, unless a newer one was seen already.</summary>
    public void Observe(string cluster, NodeInventory snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _latest.AddOrUpdate(
            (cluster.ToLowerInvariant(), snapshot.Node.ToLowerInvariant()),
            snapshot,
            (_, known) => known.TakenAt > snapshot.TakenAt ? known : snapshot);
    }

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> PerModel(Func<GpuInventory, int> figure)
    {
        foreach (var ((cluster, node), inventory) in _latest)
        {
            foreach (var model in inventory.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).GroupBy(g => g.Model, StringComparer.OrdinalIgnoreCase))
            {
                yield return new Measurement<int>(model.Sum(figure), new TagList { { "gpu.cluster", cluster }, { "gpu.node", node }, { "gpu.model", model.Key } });
            }
        }
    }

    private IEnumerable<Measurement<long>> PerGpu(Func<GpuUtilization, long?> figure)
    {
        foreach (var ((cluster, node), inventory) in _latest)
        {
            foreach (var gpu in inventory.Gpus)
            {
                if (gpu.Utilization is { } utilization && figure(utilization) is { } value)
                {
                    yield return new Measurement<long>(value, new TagList { { "gpu.cluster", cluster }, { "gpu.node", node }, { "gpu.model", gpu.Model }, { "gpu.id", gpu.InstancePath } });
                }
            }
        }
    }

    private IEnumerable<Measurement<double>> InventoryAge()
    {
        var now = _time.GetUtcNow();
        foreach (var ((cluster, node), inventory) in _latest)
        {
            yield return new Measurement<double>((now - inventory.TakenAt).TotalSeconds, new TagList { { "gpu.cluster", cluster }, { "gpu.node", node } });
        }
    }

    private IEnumerable<Measurement<int>> Headroom()
    {
        foreach (var cluster in _latest.GroupBy(e => e.Key.Cluster))
        {
            if (FailoverHeadroom.Compute(cluster.Key, [.. cluster.Select(e => e.Value)]).Worst is { } worst)
            {
                yield return new Measurement<int>(worst.Short > 0 ? -worst.Short : worst.FreeElsewhere - worst.GpuVms.Count, new TagList { { "gpu.cluster", cluster.Key } });
            }
        }
    }
}
