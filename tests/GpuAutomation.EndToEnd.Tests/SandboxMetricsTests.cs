using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using GpuAutomation.Functions.Api;
using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using GpuAutomation.Sandbox.Scenario;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// The Sandbox scenario in this process with a MeterListener on the product's meters: after it, the metrics agree
/// with what the API says happened (requests by action, origin and outcome; results; steps; partitions).
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class SandboxMetricsTests
{
    [Fact]
    public async Task After_the_scenario_the_metrics_count_what_the_API_shows()
    {
        using var metrics = new RecordedMetrics();
        await using var sandbox = await SandboxSystem.StartAsync(new SandboxOptions(Port: 0), NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var api = new ControlPlaneClient(http);
        var report = await new ScenarioRunner(api, sandbox.Cluster, sandbox.ClusterName, new SilentProgress(), TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.True(report.Passed, string.Join(Environment.NewLine, report.Steps.Select(s => $"{s.Passed} {s}")));

        var listed = await api.GetAsync($"api/partition-requests?cluster={sandbox.ClusterName}&pageSize=200", CancellationToken.None);
        Assert.True(listed.IsSuccess, listed.Describe());
        var requests = ApiBodies.Read(listed.Body, ApiJsonContext.Default.PartitionRequestListView).Requests;
        Assert.NotEmpty(requests);

        // Submitted: every stored request once, accepted when a command was sent, rejected when none was.
        var submitted = requests
            .GroupBy(r => (Action: r.Action.ToLowerInvariant(), r.Origin, Outcome: r.CommandId is null ? "rejected" : "accepted"))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        var counted = metrics.Sum("gpu.requests", t => (Action: t["gpu.action"]!.ToLowerInvariant(), Origin: t["gpu.origin"]!, Outcome: t["gpu.request.outcome"]!));
        Assert.Equal(submitted.OrderBy(e => e.Key.ToString()), counted.OrderBy(e => e.Key.ToString()));
        Assert.Contains(counted.Keys, k => k.Outcome == "rejected");

        // Finished by a host's result: by status.
        var finished = requests.Where(r => r.CommandId is not null && r.Status is "Succeeded" or "Failed" or "Rejected").ToList();
        Assert.Equal(
            finished.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => (long)g.Count()).OrderBy(e => e.Key),
            metrics.Sum("gpu.requests.completed", t => t["gpu.request.status"]!).OrderBy(e => e.Key));

        // The agents: one command duration per result, one step duration per step the results list.
        Assert.Equal(finished.Count, metrics.Count("gpu.command.duration"));
        Assert.Equal(finished.Sum(r => r.Steps.Count), metrics.Count("gpu.step.duration"));
        Assert.True(metrics.Count("gpu.cim.duration") > finished.Sum(r => r.Steps.Count), "fewer CIM calls than steps");

        // The bus: every accepted request's command published once, nothing dead-lettered.
        Assert.Equal(requests.Count(r => r.CommandId is not null), metrics.Sum("gpu.bus.published", t => t["queue"]!).GetValueOrDefault("commands"));
        Assert.Empty(metrics.Sum("gpu.bus.dead_lettered", t => t["reason"] ?? string.Empty));

        // Capacity gauges from the inventory the control plane holds, per node and GPU model.
        var inventory = (await api.GetInventoryAsync(sandbox.ClusterName, CancellationToken.None))!;
        metrics.Observe();
        var assigned = metrics.Last("gpu.partitions.assigned", t => t["gpu.cluster"] == sandbox.ClusterName);
        Assert.Equal(inventory.Gpus.Sum(g => g.AssignedPartitions), assigned.Sum());
        var total = metrics.Last("gpu.partitions.total", t => t["gpu.cluster"] == sandbox.ClusterName);
        Assert.Equal(inventory.Gpus.Sum(g => g.PartitionCount), total.Sum());
        var free = metrics.Last("gpu.partitions.free", t => t["gpu.cluster"] == sandbox.ClusterName);
        Assert.Equal(total.Sum() - assigned.Sum(), free.Sum());
        var ages = metrics.Last("gpu.inventory.age", t => t["gpu.cluster"] == sandbox.ClusterName);
        Assert.Equal(inventory.Nodes.Count, ages.Count);
        Assert.All(ages, age => Assert.InRange(age, 0, 600));
        Assert.Single(metrics.Last("gpu.failover.headroom", t => t["gpu.cluster"] == sandbox.ClusterName));
    }

    private sealed class SilentProgress : IScenarioProgress
    {
        public void StepStarted(int index, int count, string title)
        {
        }

        public void StepActivity(string activity)
        {
        }

        public void StepFinished(ScenarioStep result)
        {
        }
    }

    /// <summary>Every measurement of the GpuAutomation.* meters, with its tags.</summary>
    private sealed class RecordedMetrics : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags, long Sequence)> _seen = new();
        private long _sequence;

        public RecordedMetrics()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name.StartsWith("GpuAutomation.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
            _listener.Start();
        }

        /// <summary>Takes one reading of every observable gauge.</summary>
        public void Observe() => _listener.RecordObservableInstruments();

        public Dictionary<TKey, long> Sum<TKey>(string instrument, Func<IReadOnlyDictionary<string, string?>, TKey> key)
            where TKey : notnull
            => _seen.Where(m => m.Instrument == instrument).GroupBy(m => key(m.Tags)).ToDictionary(g => g.Key, g => (long)g.Sum(m => m.Value));

        public long Count(string instrument) => _seen.Count(m => m.Instrument == instrument);

        /// <summary>The values of the latest reading of a gauge, one per tag set.</summary>
        public IReadOnlyList<double> Last(string instrument, Func<IReadOnlyDictionary<string, string?>, bool> where)
            => [.. _seen.Where(m => m.Instrument == instrument && where(m.Tags))
                .GroupBy(m => string.Join(",", m.Tags.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}")))
                .Select(g => g.MaxBy(m => m.Sequence).Value)];

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString();
            }

            _seen.Enqueue((instrument.Name, value, copy, Interlocked.Increment(ref _sequence)));
        }
    }
}
