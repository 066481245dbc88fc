using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GpuAutomation.HostRunner.Diagnostics;

/// <summary>
/// The agent's spans and metrics, one source and one meter named <see cref="Name"/>: a span per command, per step
/// and per CIM call (class and method names only, never property values or query text), and their durations.
/// </summary>
public static class HostRunnerTelemetry
{
    public const string Name = "GpuAutomation.HostRunner";

    public const string RequestIdAttribute = "gpu.request.id";
    public const string CommandIdAttribute = "gpu.command.id";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Histogram<double> CommandDuration = Meter.CreateHistogram<double>(
        "gpu.command.duration", "s", "Time from a command's first step to its result, by command type and outcome.");

    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>(
        "gpu.step.duration", "s", "Time one command step took, by step, kind and outcome.");

    internal static readonly Histogram<double> CimDuration = Meter.CreateHistogram<double>(
        "gpu.cim.duration", "s", "Latency of one CIM call, by operation and class (and outcome: ok or the CimErrors code).");

    internal static readonly Counter<long> CimErrors = Meter.CreateCounter<long>(
        "gpu.cim.errors", "{call}", "CIM calls that failed, by operation, class and CimErrors code.");

    /// <summary>
    /// The step's name for spans and metric series: indexed steps (set-partition-count:0, :1, …) share one name, so
    /// series don't grow with a node's GPU count; a span's gpu.step attribute keeps the full name.
    /// </summary>
    internal static string StepFamily(string step)
    {
        var colon = step.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? step : step[..colon];
    }
}
