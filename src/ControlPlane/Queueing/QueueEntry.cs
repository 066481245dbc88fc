using System.Globalization;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>A queued request's place in its cluster's queue; the request itself stays in its node's partition.</summary>
public sealed record QueueEntry(string Cluster, string Node, string RequestId, int Priority, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// Sorts as the queue is served: higher priority first, then older first, then by id (ids are unique) — so a
    /// partition scan in key order is the admission order, with no index to keep.
    /// </summary>
    public string RowKey => string.Create(CultureInfo.InvariantCulture, $"q-{QueueTerms.MaxPriority - Priority}-{CreatedAt.UtcTicks:D19}-{RequestId}");

    /// <summary>The entry of a queued request (its row key depends only on the request's id, priority and age, not on its node).</summary>
    public static QueueEntry Of(PartitionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(request.Cluster, request.Node, request.Id, request.Queue?.Priority ?? 0, request.CreatedAt, request.QueuedUntil ?? request.CreatedAt);
    }
}
