using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Policies;

/// <summary>A cluster's policy with who changed it last and the ETag it was read with; pass the ETag back to change it.</summary>
public sealed record StoredPolicy(string Cluster, ProvisioningPolicy Policy, DateTimeOffset UpdatedAt, string UpdatedBy, string ETag);
