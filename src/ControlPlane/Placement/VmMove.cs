using GpuAutomation.Contracts.Commands;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>
/// A placement: the VM's node had no free partition, so the control plane moves the VM to a node that has one and
/// assigns it there. Two requests carry it, linked both ways: the Move (on <paramref name="FromNode"/>, whose agent
/// moves the VM's cluster group) and the Assign (on <paramref name="ToNode"/>, holding the partition there from the
/// start; its command is sent only once the move succeeded).
/// </summary>
/// <param name="Mode">Quick (the VM's cluster group moves while the VM is off; a running VM is shut down for it) or live.</param>
/// <param name="Reason">Why this node, and why this way, as decided at admission.</param>
/// <param name="Moved">How the host moved it (its method and reason), once the move succeeded; null before.</param>
/// <param name="LateAssignRequestId">The move finished only after the placement had timed out (its assignment ended
/// TimedOut, its partition given back): the assignment admitted then on <paramref name="ToNode"/>, where the VM now is
/// (<see cref="LateMoveAdmission"/>); null otherwise.</param>
/// <param name="WithoutPartition">The move finished late and no partition could be admitted for the VM on
/// <paramref name="ToNode"/>: code <see cref="RequestCodes.MovedWithoutPartition"/>, saying where the VM is and why; null otherwise.</param>
public sealed record VmMove(
    string FromNode,
    string ToNode,
    MoveMode Mode,
    string Reason,
    string MoveRequestId,
    string AssignRequestId,
    string? Moved = null,
    string? LateAssignRequestId = null,
    RequestNotice? WithoutPartition = null);
