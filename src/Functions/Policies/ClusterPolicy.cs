namespace GpuAutomation.Functions.Policies;

/// <summary>How a cluster is meant to be: the provisioning and compliance settings an operator chose for it.</summary>
/// <param name="DesiredPartitionCount">The partition count every GPU should have; null: whatever is configured.</param>
/// <param name="AutoProvision">Turn VmCreated events that match into assign requests.</param>
/// <param name="ProvisioningMarker">Text in a VM's notes (or tag value) that asks for a partition; null: every new VM.</param>
/// <param name="AutoRemediate">Let compliance checks send the fixes they can (e.g. OfflineAction = 3).</param>
public sealed record ClusterPolicy(
    string Cluster,
    int? DesiredPartitionCount,
    bool AutoProvision,
    string? ProvisioningMarker,
    bool AutoRemediate,
    DateTimeOffset UpdatedAt,
    string UpdatedBy);
