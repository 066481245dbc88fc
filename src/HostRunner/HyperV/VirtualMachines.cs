using GpuAutomation.Contracts.Messaging;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// Finds VMs (name → GUID once, then by GUID) and their realized settings. A VM is told from the host's own
/// Msvm_ComputerSystem by its Name being a GUID (Msvm_ComputerSystem: "always set to GUID" for a VM; the host's
/// Name is its computer name), never by Caption, which is localized ("Virtual Machine" is "虚拟机" on a Chinese host:
/// GNS3 gns3-server #1612, containers/libhvee #52/#62; fidelity audit row 37).
/// </summary>
public sealed class VirtualMachines(ICimClient cim)
{
    public async Task<IReadOnlyList<VirtualMachine>> ListAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ComputerSystem), cancellationToken);
        return [.. instances.Where(IsVm).Select(VirtualMachine.From)];
    }

    /// <summary>Whether a Msvm_ComputerSystem is a VM rather than the host: its Name parses as a GUID.</summary>
    public static bool IsVm(CimInstance computerSystem)
    {
        ArgumentNullException.ThrowIfNull(computerSystem);
        return Guid.TryParse(computerSystem.GetString("Name"), out _);
    }

    /// <summary>The one VM with this display name; names are not unique, so two matches are an error.</summary>
    public async Task<VirtualMachine> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        if (!ResourceNames.IsValidVmName(name))
        {
            throw new CimException(CimErrors.UnsafeWqlValue, $"'{name}' is not a valid VM name (1 to {ResourceNames.MaxVmNameLength} characters, no control characters).");
        }

        var instances = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.ComputerSystem, Wql.Equal("ElementName", name)),
            cancellationToken);
        instances = [.. instances.Where(IsVm)];
        return instances.Count switch
        {
            0 => throw new CimException(CimErrors.VmNotFound, $"No VM named '{name}' on this host."),
            1 => VirtualMachine.From(instances[0]),
            _ => throw new CimException(
                CimErrors.VmAmbiguous,
                $"{instances.Count} VMs are named '{name}' on this host ({string.Join(", ", instances.Select(i => i.GetString("Name")))}); name the VM by its id."),
        };
    }

    public async Task<VirtualMachine> GetAsync(Guid id, CancellationToken cancellationToken)
        => await FindAsync(id, cancellationToken)
            ?? throw new CimException(CimErrors.VmNotFound, $"No VM with id {id} on this host.");

    public async Task<VirtualMachine?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.ComputerSystem, Wql.Equal("Name", id.ToString("D").ToUpperInvariant())),
            cancellationToken);
        return instances.Count == 0 ? null : VirtualMachine.From(instances[0]);
    }

    /// <summary>Every VM's realized Msvm_VirtualSystemSettingData in one query, by VM id.</summary>
    public async Task<IReadOnlyDictionary<Guid, CimInstance>> ListRealizedSettingsAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.VirtualSystemSettingData, Wql.Equal("VirtualSystemType", HyperVClasses.RealizedSystemType)),
            cancellationToken);
        var settings = new Dictionary<Guid, CimInstance>();
        foreach (var instance in instances)
        {
            if (Guid.TryParse(instance.GetString("VirtualSystemIdentifier"), out var id) && !settings.TryAdd(id, instance))
            {
                throw new CimException(CimErrors.Failed, $"VM {id} has more than one realized settings object.");
            }
        }

        return settings;
    }

    /// <summary>The VM's realized Msvm_VirtualSystemSettingData: the object its devices and VM-level settings hang on.</summary>
    public async Task<CimInstance> GetRealizedSettingsAsync(Guid id, CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(
                HyperVClasses.VirtualSystemSettingData,
                Wql.Equal("VirtualSystemIdentifier", id.ToString("D").ToUpperInvariant()),
                Wql.Equal("VirtualSystemType", HyperVClasses.RealizedSystemType)),
            cancellationToken);
        return instances.Count switch
        {
            1 => instances[0],
            0 => throw new CimException(CimErrors.VmNotFound, $"VM {id} has no realized settings on this host."),
            _ => throw new CimException(CimErrors.Failed, $"VM {id} has {instances.Count} realized settings objects."),
        };
    }
}
