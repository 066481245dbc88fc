using System.Collections.Concurrent;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Azure Local VMs kept in memory: the Sandbox's and tests' stand-in for Azure Resource Manager.</summary>
public sealed class InMemoryAzureLocalVmReader : IAzureLocalVmReader
{
    private readonly ConcurrentDictionary<string, AzureLocalVmFacts> _machines = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Stores what ARM would answer for the machine <paramref name="machineResourceId"/>.</summary>
    public void Set(string machineResourceId, AzureLocalVmFacts facts) => _machines[machineResourceId] = facts;

    public Task<AzureLocalVmFacts?> ReadAsync(AzureLocalVmResource resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Task.FromResult(_machines.TryGetValue(resource.MachineResourceId, out var facts) ? facts : null);
    }
}
