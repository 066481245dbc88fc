namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// Tests that read the process's own metrics: a MeterListener hears every meter of the process, so they run alone,
/// after the parallel collections, with nothing else in this process producing GpuAutomation.* measurements.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
