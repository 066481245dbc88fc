using System.Globalization;
using GpuAutomation.Functions.Composition;

namespace GpuAutomation.ControlPlane.Tests.Support;

internal sealed class SequentialIdSource : IIdSource
{
    private long _next;

    public string NewId() => Interlocked.Increment(ref _next).ToString("D10", CultureInfo.InvariantCulture);
}
