using System.Collections.Concurrent;
using System.Diagnostics;

namespace GpuAutomation.Testing;

/// <summary>
/// Records the finished spans of the product's sources (GpuAutomation.*) and of <see cref="Source"/>, as an exporter
/// would see them. A listener is process-wide and tests run in parallel: read only the spans of your own trace
/// (<see cref="OfTrace"/>), started under <see cref="StartRoot"/>.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    public const string SourceName = "GpuAutomation.Tests";

    private static readonly ActivitySource Source = new(SourceName);

    private readonly ConcurrentQueue<Activity> _finished = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("GpuAutomation.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _finished.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>A root span for the test's own work; every span the product starts under it shares its trace id.</summary>
    public static Activity StartRoot(string name)
        => Source.StartActivity(name, ActivityKind.Internal, parentContext: default)
            ?? throw new InvalidOperationException("The recorder's listener must exist before a root span is started.");

    public IReadOnlyList<Activity> OfTrace(ActivityTraceId traceId) => [.. _finished.Where(a => a.TraceId == traceId)];

    public IReadOnlyList<Activity> All => [.. _finished];

    public void Dispose() => _listener.Dispose();
}
