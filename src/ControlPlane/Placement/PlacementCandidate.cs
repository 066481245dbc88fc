using GpuAutomation.Contracts.Commands;

namespace GpuAutomation.ControlPlane.Placement;

/// <summary>A node a VM could move to for a partition, how it would move, and why this node.</summary>
public sealed record PlacementCandidate(string Node, MoveMode Mode, string Reason);
