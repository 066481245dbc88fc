namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>The cluster's holds with the ETag they were read with; null ETag: the row doesn't exist yet.</summary>
public sealed record StoredCapacityHolds(ClusterCapacityHolds Holds, string? ETag);
