namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A request with the ETag it was read with.</summary>
public sealed record StoredRequest(PartitionRequest Request, string ETag);
