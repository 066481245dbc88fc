using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// Stable codes of request rejections and warnings; clients may switch on them. A code an agent may also report (its
/// command's error lands on the request) is the bus catalog's own <see cref="CommandErrorCodes"/> value, so the two
/// sides can't drift apart.
/// </summary>
public static class RequestCodes
{
    public const string InvalidName = "invalid-name";
    public const string UnknownAction = "unknown-action";
    public const string UnknownCluster = "unknown-cluster";
    public const string UnknownNode = "unknown-node";
    public const string NodeRequired = "node-required";
    public const string UnknownVm = CommandErrorCodes.UnknownVm;
    public const string VmAmbiguous = CommandErrorCodes.VmAmbiguous;
    public const string VmHasPartition = CommandErrorCodes.VmHasPartition;
    public const string VmHasNoPartition = CommandErrorCodes.VmHasNoPartition;
    public const string VmBusy = CommandErrorCodes.VmBusy;
    public const string UnknownGpu = CommandErrorCodes.UnknownGpu;
    public const string InvalidPartitionCount = CommandErrorCodes.InvalidPartitionCount;
    public const string ClusterHeterogeneous = "cluster-heterogeneous";
    public const string PartitionsAssigned = CommandErrorCodes.PartitionsAssigned;
    public const string GpuNotPartitioned = CommandErrorCodes.GpuNotPartitioned;
    public const string NoPartitionableGpu = "no-partitionable-gpu";
    public const string NoFreePartition = CommandErrorCodes.NoFreePartition;
    public const string NodeBusy = "node-busy";
    public const string VmNotClustered = CommandErrorCodes.VmNotClustered;
    public const string InvalidOfflineAction = "invalid-offline-action";

    /// <summary>
    /// The grant would break the cluster policy's failover reserve (<c>reserve</c>); as a warning, it was granted
    /// anyway because the policy says <c>onReserveBreach: warn</c>.
    /// </summary>
    public const string HeadroomReserved = "headroom-reserved";

    /// <summary>The queue terms are out of range (maxWaitMinutes, priority).</summary>
    public const string InvalidQueue = "invalid-queue";

    /// <summary>A queued request waited its maxWaitMinutes without capacity freeing up for it.</summary>
    public const string QueueExpired = "queue-expired";

    /// <summary>An operator cancelled the queued request.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Only a queued request can be cancelled; this one was already admitted or ended.</summary>
    public const string NotQueued = "not-queued";

    /// <summary>The queued request's VM is now on another node than the one it queued for; submit it again.</summary>
    public const string VmMoved = "vm-moved";

    /// <summary>The VM was to move to another node for its partition, and the move failed (or was never sent): nothing was assigned.</summary>
    public const string MoveFailed = "move-failed";

    /// <summary>
    /// A placement's move finished only after the placement had timed out, and no partition could be admitted for the
    /// VM on the node it moved to (no free partition, the reserve, a request in flight): the VM runs there without one.
    /// </summary>
    public const string MovedWithoutPartition = "moved-without-partition";

    /// <summary>Warning: the change covers only part of the cluster's homogeneous GPU set.</summary>
    public const string PartialSelection = "partial-selection";

    /// <summary>
    /// Warning: the cluster's partitionable GPUs run different host driver versions. Not part of Microsoft's homogeneity
    /// rule (make, model, size, partition count), so not an error; see <see cref="PartitionRequestValidator"/>.
    /// </summary>
    public const string DriverVersionsDiffer = "driver-versions-differ";

    /// <summary>Warning: the node's last inventory is older than the configured age.</summary>
    public const string InventoryStale = "inventory-stale";

    /// <summary>No result arrived within the configured time.</summary>
    public const string TimedOut = CommandErrorCodes.TimedOut;

    /// <summary>Warning: the result arrived after the request had timed out; the request now says what the host did.</summary>
    public const string LateResult = "late-result";

    /// <summary>Another submission with the same idempotency key is still being written; retry shortly.</summary>
    public const string IdempotencyKeyInFlight = "idempotency-key-in-flight";

    /// <summary>The idempotency key was first used to ask for something else; use a new key for a new request.</summary>
    public const string IdempotencyKeyReused = "idempotency-key-reused";

    /// <summary>
    /// Whether a refusal with <paramref name="code"/> depends on the cluster's current state (capacity, a request in
    /// flight, assigned partitions), so the same request may succeed later: such a refusal doesn't keep its
    /// idempotency key, and the API answers it 409.
    /// </summary>
    public static bool DependsOnState(string code) => code is VmHasPartition
        or VmHasNoPartition
        or VmBusy
        or PartitionsAssigned
        or NoFreePartition
        or HeadroomReserved
        or NotQueued
        or NodeBusy
        or ClusterHeterogeneous
        or IdempotencyKeyInFlight;
}
