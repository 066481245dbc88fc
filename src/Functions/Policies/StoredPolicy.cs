namespace GpuAutomation.Functions.Policies;

/// <summary>A policy with the ETag it was read with; pass the ETag back to change it.</summary>
public sealed record StoredPolicy(ClusterPolicy Policy, string ETag);
