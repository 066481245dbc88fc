namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Reads an Azure Local VM's Arc machine and VM instance from Azure Resource Manager.</summary>
public interface IAzureLocalVmReader
{
    /// <summary>The VM's facts; null when its machine doesn't exist (any other failure throws).</summary>
    Task<AzureLocalVmFacts?> ReadAsync(AzureLocalVmResource resource, CancellationToken cancellationToken);
}
