using GpuAutomation.ControlPlane;
using System.Globalization;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>Deterministic ids for tests: "0000000001", "0000000002", ... after an optional prefix (one per instance).</summary>
internal sealed class SequentialIdSource(string prefix = "") : IIdSource
{
    private long _next;

    public string NewId() => prefix + Interlocked.Increment(ref _next).ToString("D10", CultureInfo.InvariantCulture);
}
