namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Why one node of a cluster-wide change can't take it; <see cref="Node"/> is empty when the cause is the cluster's.</summary>
public sealed record NodeRefusal(string Node, RequestNotice Reason);
