namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// What a compliance scan may fix by itself. Partition counts are never changed automatically: that needs every
/// partition on the GPU free, so it is always an operator's decision.
/// </summary>
/// <param name="FixOfflineAction">Set OfflineAction to forced shutdown on GPU-P VMs that lack it.</param>
/// <param name="AssignMissingPartitions">Give a partition to VMs the policy selects that have none.</param>
/// <param name="RemoveUnselectedPartitions">Take partitions away from VMs the policy doesn't select.</param>
/// <param name="MaxRequestsPerScan">Upper bound of remediation requests one scan creates.</param>
public sealed record RemediationPolicy(
    bool FixOfflineAction = true,
    bool AssignMissingPartitions = false,
    bool RemoveUnselectedPartitions = false,
    int MaxRequestsPerScan = 5)
{
    public static RemediationPolicy Default { get; } = new();
}
