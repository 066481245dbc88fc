namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// The cluster-level row that makes the reserve a cluster-wide invariant although capacity is kept per node.
/// <para>
/// Why a row of its own: each node's ledger shares a Table Storage partition with that node's requests, so accepting
/// a request and reserving its partition is one ETag-checked batch; but a batch can't span partitions, so two grants
/// on different nodes, each checked against the other nodes' ledgers as read, could both pass and together break the
/// reserve. Moving every node of a cluster into one partition would fix that at the cost of re-keying every stored
/// request; a re-check after the write needs a tie-break that read skew defeats (each writer may miss the other).
/// </para>
/// <para>
/// So an assignment on a cluster with a reserve takes three steps: read this row (with its ETag), then read every
/// node's ledger and check the reserve counting the holds listed here, then write this row with the request's hold
/// added, conditional on that ETag. Every such admission writes this one row, so they are serialized: a later one
/// read the row after the earlier one's write, hence sees its hold, or (once the hold was removed, which happens only
/// after the node batch stored the reservation) reads the ledger that shows it. Only then is the request's node batch
/// (request + ledger + outbox, conditional on the ledger's ETag) written, and the hold removed. A writer that stops
/// between the two leaves a hold that only keeps a partition back (safe) until <see cref="Prune"/> drops it.
/// </para>
/// </summary>
public sealed record ClusterCapacityHolds(string Cluster, IReadOnlyList<CapacityHold> Holds)
{
    /// <summary>
    /// Drops holds the ledgers already show (their reservation is stored) and holds older than
    /// <paramref name="staleAfter"/> (their writer stopped before writing the request), and the hold of
    /// <paramref name="requestId"/> (about to be replaced or given up).
    /// </summary>
    public ClusterCapacityHolds Prune(IEnumerable<NodeLedger> ledgers, DateTimeOffset now, TimeSpan staleAfter, string? requestId = null)
    {
        var reserved = ledgers.SelectMany(l => l.Reservations).Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
        return this with
        {
            Holds = [.. Holds.Where(h => !reserved.Contains(h.RequestId) && now - h.HeldAt < staleAfter && !string.Equals(h.RequestId, requestId, StringComparison.Ordinal))],
        };
    }
}
