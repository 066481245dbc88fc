using System.Diagnostics.Metrics;
using GpuAutomation.ControlPlane.Queueing;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Diagnostics;

/// <summary>
/// The gauge gpu.queue.length: partition requests waiting for capacity, per cluster, counted in the shared queue table
/// when the metrics are collected (about once a minute per instance with the exporters' default interval). Read, not
/// kept: an up/down counter maintained where this instance adds and removes entries would drift as soon as another
/// instance (or a restart) removes an entry this one added, while every instance reading the table reports the same
/// true figure. The cost is bounded: one partition-spanning query selecting only the Cluster property, at most
/// <see cref="MaxEntriesCounted"/> entries and <see cref="ReadTimeout"/>, and a reading is reused for
/// <see cref="ReuseFor"/> when several readers collect at once. A cluster whose queue emptied reports 0 (not nothing)
/// once this instance has seen it queue; a failed read reports nothing for that collection (absent, not wrong).
/// </summary>
public sealed partial class QueueMetrics : IDisposable
{
    /// <summary>Entries read per collection at most (5 pages); beyond it the counts are lower bounds and a warning is logged.</summary>
    public const int MaxEntriesCounted = 5000;

    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan ReuseFor = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly RequestQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger<QueueMetrics> _logger;
    private readonly Meter _meter;
    private (DateTimeOffset At, Measurement<int>[] Values)? _last;

    public QueueMetrics(RequestQueue queue, TimeProvider time, ILogger<QueueMetrics> logger, IMeterFactory? meterFactory = null)
    {
        _queue = queue ?? throw new ArgumentNullException(nameof(queue));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _meter = meterFactory?.Create(ControlPlaneTelemetry.Name) ?? new Meter(ControlPlaneTelemetry.Name);
        _meter.CreateObservableGauge("gpu.queue.length", Observe, "{request}", "Partition requests queued for capacity, per cluster (read from the queue table at collection).");
    }

    public void Dispose() => _meter.Dispose();

    private Measurement<int>[] Observe()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (_last is { } last && now - last.At < ReuseFor)
            {
                return last.Values;
            }

            Dictionary<string, int> counts;
            try
            {
                // Observable callbacks are synchronous; the exporters collect on their own thread, and the read is bounded.
                using var timeout = new CancellationTokenSource(ReadTimeout);
                (counts, var truncated) = Task.Run(() => _queue.CountByClusterAsync(MaxEntriesCounted, timeout.Token), timeout.Token).GetAwaiter().GetResult();
                if (truncated)
                {
                    LogTruncated(_logger, MaxEntriesCounted);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Whatever the store threw (Azure's RequestFailedException, a timeout): one instrument's read must not end the collection.
                LogReadFailed(_logger, ex);
                return [];
            }

            _seen.UnionWith(counts.Keys);
            var values = _seen.Select(cluster => new Measurement<int>(counts.GetValueOrDefault(cluster), new KeyValuePair<string, object?>("gpu.cluster", cluster))).ToArray();
            _last = (now, values);
            return values;
        }
    }

    [LoggerMessage(EventId = 3140, Level = LogLevel.Warning, Message = "Queue length: more than {Max} queue entries, the gpu.queue.length figures are lower bounds")]
    private static partial void LogTruncated(ILogger logger, int max);

    [LoggerMessage(EventId = 3141, Level = LogLevel.Warning, Message = "Queue length: the queue table could not be read; gpu.queue.length is not reported this time")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
