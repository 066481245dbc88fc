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
/// So every assignment on a cluster whose reserve refuses writes this one row before its node batch: it checks the
/// reserve against the row as it knows it (with its ETag) and against a view of every node's ledger, counting each
/// hold listed here that its node's ledger doesn't show, then writes the row with its own hold added, conditional on
/// that ETag, and only then writes its node batch (request + ledger + outbox, conditional on the ledger's ETag). The
/// conditional write orders all these admissions: a later one wrote over a row that lists the earlier one's hold, or
/// that dropped it — and a hold is dropped only on a ledger version that shows it (its reservation, or its settling,
/// <see cref="NodeLedger.SettledHolds"/>), which the row records as that node's <see cref="LedgerWatermark"/>.
/// </para>
/// <para>
/// That is what lets admission work from ledgers it read or wrote earlier (no read of every node per grant): a view of
/// a node at or above its watermark shows every grant whose hold is gone, and every other grant is still listed here,
/// so nothing granted is missed; a view below it is read again. The row itself is taken from memory too: if another
/// instance changed it since, the conditional write fails and the admission runs again on fresh reads. Holds are
/// dropped lazily, by the next admission whose view shows them, so a grant costs one write of this row and no read.
/// </para>
/// <para>
/// A writer that stops between its hold and its node batch leaves a hold that only keeps a partition back (safe)
/// until it is older than a writer can take (<c>staleAfter</c>, the idempotency claim time-out) and its node's ledger
/// was read fresh in the same admission, which raises the watermark past any grant it might have made after all.
/// Changes that are not grants — a snapshot showing a partition taken outside this tool, a partition count change —
/// are seen as the ledger views are refreshed (admission reads a view older than a few seconds again); they were never
/// ordered by this row, with or without views from memory.
/// </para>
/// </summary>
public sealed record ClusterCapacityHolds(string Cluster, IReadOnlyList<CapacityHold> Holds)
{
    /// <summary>Per node, the ledger version that shows every hold dropped so far (none listed: version 0).</summary>
    public IReadOnlyList<LedgerWatermark> Watermarks { get; init; } = [];

    public long WatermarkOf(string node)
        => Watermarks.FirstOrDefault(w => string.Equals(w.Node, node, StringComparison.OrdinalIgnoreCase))?.Version ?? 0;

    /// <summary>Whether a view of a node's ledger is recent enough to check a grant against (see the class remarks).</summary>
    public bool Covers(NodeLedger view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return view.Version >= WatermarkOf(view.Node);
    }

    /// <summary>Holds older than <paramref name="staleAfter"/>: their nodes' ledgers must be read fresh before they can be dropped.</summary>
    public IEnumerable<CapacityHold> Stale(DateTimeOffset now, TimeSpan staleAfter) => Holds.Where(h => now - h.HeldAt >= staleAfter);

    /// <summary>
    /// Drops the holds the ledger views show (raising their nodes' watermarks to those views' versions), stale holds
    /// on nodes whose ledger was read fresh (<paramref name="freshNodes"/>), and the hold of
    /// <paramref name="requestId"/>, whose writer is the caller and has not written its node batch.
    /// </summary>
    public ClusterCapacityHolds Prune(IReadOnlyList<NodeLedger> views, IReadOnlySet<string> freshNodes, DateTimeOffset now, TimeSpan staleAfter, string? requestId = null)
    {
        ArgumentNullException.ThrowIfNull(views);
        ArgumentNullException.ThrowIfNull(freshNodes);
        var kept = new List<CapacityHold>();
        var watermarks = Watermarks.ToDictionary(w => w.Node, w => w.Version, StringComparer.OrdinalIgnoreCase);
        foreach (var hold in Holds)
        {
            if (string.Equals(hold.RequestId, requestId, StringComparison.Ordinal))
            {
                continue;
            }

            var view = views.FirstOrDefault(v => string.Equals(v.Node, hold.Node, StringComparison.OrdinalIgnoreCase));
            var old = now - hold.HeldAt >= staleAfter;
            if (view is null)
            {
                // A node that left the cluster's inventory: its hold counts nowhere, and goes once it is stale.
                if (!old)
                {
                    kept.Add(hold);
                }

                continue;
            }

            if (!view.Shows(hold.RequestId) && !(old && freshNodes.Contains(hold.Node)))
            {
                kept.Add(hold);
                continue;
            }

            watermarks[view.Node] = Math.Max(watermarks.GetValueOrDefault(view.Node), view.Version);
        }

        return this with
        {
            Holds = kept,
            Watermarks = [.. watermarks.OrderBy(w => w.Key, StringComparer.OrdinalIgnoreCase).Select(w => new LedgerWatermark(w.Key, w.Value))],
        };
    }
}
