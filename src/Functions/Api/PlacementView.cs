namespace GpuAutomation.Functions.Api;

/// <summary>
/// Where a VM went for its partition and why: its node had none free, the cluster policy allows moves, so it moves to
/// <paramref name="To"/> and is assigned there. The assign and the move request both show it.
/// </summary>
/// <param name="Mode">quick (its cluster group moves while it is off; a running VM is shut down for it) or live.</param>
/// <param name="Reason">Why this node and this way, as decided when the request was accepted.</param>
/// <param name="MoveRequestId">The move request (action move, on the node it leaves): its steps are the agent's.</param>
/// <param name="AssignRequestId">The assign request it is for (on the node it goes to).</param>
/// <param name="Moved">How the host moved it, once it did; null while moving. "moved late …" when the move finished after
/// the placement had timed out.</param>
/// <param name="LateAssignRequestId">The move finished after the placement had timed out (the assign ended TimedOut and
/// stays so): the assign request then admitted on <paramref name="To"/>, where the VM is; null otherwise.</param>
/// <param name="WithoutPartition">The move finished late and no partition could be admitted on <paramref name="To"/>:
/// code moved-without-partition, with where the VM is and why; null otherwise.</param>
public sealed record PlacementView(string From, string To, string Mode, string Reason, string MoveRequestId, string AssignRequestId, string? Moved, string? LateAssignRequestId = null, NoticeView? WithoutPartition = null);
