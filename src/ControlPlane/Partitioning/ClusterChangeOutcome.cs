namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// What a cluster-wide partition count change did: every node's request accepted (and then sent), or — when any node
/// refused — nothing stored and nothing sent, with every node's reason in <see cref="Refusals"/>.
/// </summary>
/// <param name="Warnings">The cluster's view (e.g. a partial selection), computed once for the whole change.</param>
/// <param name="IsExisting">The idempotency key named requests created earlier; they are returned as they are now.</param>
public sealed record ClusterChangeOutcome(
    IReadOnlyList<PartitionRequest> Requests,
    IReadOnlyList<RequestNotice> Warnings,
    IReadOnlyList<NodeRefusal> Refusals,
    bool IsExisting = false)
{
    public bool IsRefused => Refusals.Count > 0;

    public static ClusterChangeOutcome Refused(IReadOnlyList<NodeRefusal> refusals) => new([], [], refusals);

    public static ClusterChangeOutcome Refused(string node, RequestNotice reason) => new([], [], [new NodeRefusal(node, reason)]);
}
