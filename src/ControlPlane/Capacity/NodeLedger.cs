using System.Globalization;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// A node's partition capacity: free partitions as last known and the requests in flight. It is stored in the same
/// partition as the node's requests, so accepting a request and reserving capacity is one ETag-checked batch.
/// </summary>
/// <param name="FreePartitions">Free partitions in the last snapshot, adjusted by results applied since.</param>
/// <param name="AsOf">The host time the figure reflects; older snapshots don't reconcile it.</param>
public sealed record NodeLedger(
    string Cluster,
    string Node,
    int FreePartitions,
    DateTimeOffset AsOf,
    IReadOnlyList<Reservation> Reservations)
{
    /// <summary>How many settled held assignments <see cref="SettledHolds"/> remembers; an older one forgotten only keeps its hold counted until it is stale (safe).</summary>
    public const int SettledHoldsKept = 100;

    /// <summary>
    /// How many times the stored row has been written: <see cref="RequestStore"/> counts it up on every write, so of two
    /// reads of the same row the higher version is the later state (ETags can't be ordered). The cluster's capacity
    /// holds name the version that shows a hold they dropped (<see cref="ClusterCapacityHolds"/>).
    /// </summary>
    public long Version { get; init; }

    /// <summary>
    /// Ids of held assignments (<see cref="Reservation.Held"/>) whose reservation has left this ledger (done, failed,
    /// timed out, withdrawn, or shown by a snapshot), newest last: a hold still listed for one of them is not counted
    /// again, since the partition it took (or gave back) is in <see cref="FreePartitions"/> now.
    /// </summary>
    public IReadOnlyList<string> SettledHolds { get; init; } = [];

    public int ReservedPartitions => Reservations.Count(r => r.Action == PartitionAction.Assign);

    public int AvailablePartitions => Math.Max(0, FreePartitions - ReservedPartitions);

    public static NodeLedger FromInventory(string cluster, NodeInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        return new NodeLedger(cluster, inventory.Node, inventory.Gpus.Sum(g => g.FreePartitions), inventory.TakenAt, []);
    }

    /// <summary>Why the node can't take <paramref name="request"/> now, or null when it can.</summary>
    public RequestNotice? Admit(PartitionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Reservations.FirstOrDefault(r => r.Action == PartitionAction.ConfigurePartitionCount) is { } countChange)
        {
            return new RequestNotice(RequestCodes.NodeBusy, $"Node {Node} is changing its partition count (request {countChange.RequestId}); retry when it completes.");
        }

        if (request.Action == PartitionAction.ConfigurePartitionCount && Reservations.Count > 0)
        {
            return new RequestNotice(
                RequestCodes.NodeBusy,
                string.Create(CultureInfo.InvariantCulture, $"Node {Node} has {Reservations.Count} partition request(s) in flight ({string.Join(", ", Reservations.Select(r => r.RequestId))}); the partition count can't change until they complete."));
        }

        if (request.VmId is { } vmId && Reservations.FirstOrDefault(r => r.VmId == vmId) is { } sameVm)
        {
            return new RequestNotice(RequestCodes.VmBusy, $"VM '{request.VmName}' ({vmId}) already has request {sameVm.RequestId} ({sameVm.Action}) in flight on node {Node}.");
        }

        if (request.Action == PartitionAction.Assign && AvailablePartitions == 0)
        {
            return new RequestNotice(
                RequestCodes.NoFreePartition,
                string.Create(CultureInfo.InvariantCulture, $"No free GPU partition on node {Node} of cluster {Cluster}: {FreePartitions} free in the last inventory, {ReservedPartitions} reserved by requests in flight."));
        }

        return null;
    }

    /// <param name="held">The assignment was admitted against the cluster's reserve under a capacity hold.</param>
    public NodeLedger Reserve(PartitionRequest request, bool held = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        return this with { Reservations = [.. Reservations, new Reservation(request.Id, request.Action, request.VmName, request.VmId, request.CreatedAt) { Held = held }] };
    }

    /// <summary>Whether this ledger accounts for the hold of <paramref name="requestId"/>: its reservation is here, or has settled.</summary>
    public bool Shows(string requestId)
        => Reservations.Any(r => string.Equals(r.RequestId, requestId, StringComparison.Ordinal)) || SettledHolds.Contains(requestId, StringComparer.Ordinal);

    /// <summary>
    /// Ends a request's reservation. When the host did the change, the freed or consumed partition is counted until
    /// a snapshot taken afterwards says it exactly; a count change zeroes capacity until that snapshot arrives.
    /// </summary>
    public NodeLedger Release(string requestId, bool changeApplied, DateTimeOffset hostTime)
    {
        var reservation = Reservations.FirstOrDefault(r => string.Equals(r.RequestId, requestId, StringComparison.Ordinal));
        if (reservation is null)
        {
            return this;
        }

        var remaining = Reservations.Where(r => r != reservation).ToList();

        // A snapshot taken after hostTime (the agent's change poll races the result) already shows the change:
        // counting it again would, for a count change, zero a node whose inventory-after is then ignored as older.
        if (!changeApplied || hostTime < AsOf)
        {
            return this with { Reservations = remaining, SettledHolds = Settle([reservation]) };
        }

        var free = reservation.Action switch
        {
            PartitionAction.Assign => Math.Max(0, FreePartitions - 1),
            PartitionAction.Unassign => FreePartitions + 1,
            PartitionAction.SetOfflineAction or PartitionAction.Move => FreePartitions,
            _ => 0,
        };
        return this with { FreePartitions = free, AsOf = hostTime > AsOf ? hostTime : AsOf, Reservations = remaining, SettledHolds = Settle([reservation]) };
    }

    /// <summary>
    /// Takes the free count from a newer snapshot and drops reservations whose effect it already shows (the VM holds
    /// its partition, or holds none any more). A snapshot older than the figure changes nothing; one taken at the
    /// same moment (a result's inventory-after) applies.
    /// </summary>
    public NodeLedger Reconcile(NodeInventory snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.TakenAt < AsOf)
        {
            return this;
        }

        var vms = snapshot.Vms.ToDictionary(v => v.Id);
        var shown = Reservations.Where(r => ShownBy(r, vms)).ToList();
        return this with
        {
            FreePartitions = snapshot.Gpus.Sum(g => g.FreePartitions),
            AsOf = snapshot.TakenAt,
            Reservations = [.. Reservations.Except(shown)],
            SettledHolds = Settle(shown),
        };
    }

    private IReadOnlyList<string> Settle(IReadOnlyList<Reservation> leaving)
        => leaving.Any(r => r.Held)
            ? [.. SettledHolds.Concat(leaving.Where(r => r.Held).Select(r => r.RequestId)).TakeLast(SettledHoldsKept)]
            : SettledHolds;

    private static bool ShownBy(Reservation reservation, Dictionary<Guid, VmInventory> vms)
        => reservation.VmId is { } id && reservation.Action switch
        {
            PartitionAction.Assign => vms.TryGetValue(id, out var vm) && vm.HasPartition,
            PartitionAction.Unassign => !vms.TryGetValue(id, out var vm) || !vm.HasPartition,
            // A move away from this node is shown done when the VM is no longer here.
            PartitionAction.Move => !vms.ContainsKey(id),
            _ => false,
        };
}
