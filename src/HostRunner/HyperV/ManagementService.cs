using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>Locates the host's Msvm_VirtualSystemManagementService, the target of every settings method.</summary>
public sealed class ManagementService(ICimClient cim)
{
    private CimInstancePath? _path;

    public async Task<CimInstancePath> GetPathAsync(CancellationToken cancellationToken)
    {
        if (_path is not null)
        {
            return _path;
        }

        var services = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ManagementService), cancellationToken);
        _path = services.Count == 1
            ? services[0].Path
            : throw new CimException(CimErrors.NotFound, $"Expected one {HyperVClasses.ManagementService}, found {services.Count}: is Hyper-V installed?");
        return _path;
    }
}
