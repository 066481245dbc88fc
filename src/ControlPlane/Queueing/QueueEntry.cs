using System.Globalization;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>A queued request's place in its cluster's queue; the request itself stays in its node's partition.</summary>
public sealed record QueueEntry(string Cluster, string Node, string RequestId, int Priority, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// Sorts as the queue is served: higher priority first, then older first, then by id (ids are unique) — so a
    /// partition scan in key order is the admission order, with no index to keep.
    /// </summary>
    public string RowKey => string.Create(CultureInfo.InvariantCulture, $"q-{QueueTerms.MaxPriority - Priority}-{CreatedAt.UtcTicks:D19}-{RequestId}");
}
