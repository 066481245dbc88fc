using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>A VM's GPU partition adapters (Add-/Get-/Set-/Remove-VMGpuPartitionAdapter) and its GPU-P memory settings.</summary>
public sealed partial class GpuPartitionAdapters(
    ICimClient cim,
    VirtualMachines vms,
    GpuPartitioning gpus,
    ManagementService service,
    HyperVJobs jobs,
    ILogger<GpuPartitionAdapters> logger)
{
    public async Task<IReadOnlyList<GpuPartitionAdapter>> ListAsync(Guid vmId, CancellationToken cancellationToken)
    {
        var settings = await vms.GetRealizedSettingsAsync(vmId, cancellationToken);
        return await ListAsync(vmId, settings, cancellationToken);
    }

    /// <summary>The VM's adapters, for a caller that has already read the VM's realized <paramref name="settings"/>.</summary>
    internal async Task<IReadOnlyList<GpuPartitionAdapter>> ListAsync(Guid vmId, CimInstance settings, CancellationToken cancellationToken)
    {
        var adapters = await cim.GetAssociatedAsync(
            settings.Path, HyperVClasses.VirtualSystemSettingDataComponent, HyperVClasses.GpuPartitionSettingData, cancellationToken);
        if (adapters.Count == 0)
        {
            return [];
        }

        var devices = (await cim.QueryAsync(
                CimNamespaces.Virtualization,
                Wql.Select(HyperVClasses.GpuPartition, Wql.Equal("SystemName", vmId.ToString("D").ToUpperInvariant())),
                cancellationToken))
            .Select(GpuPartitionDevice.From)
            .ToList();
        return Pair(vmId, adapters, devices);
    }

    /// <summary>
    /// The adapters of every VM in <paramref name="realizedSettings"/> (VM id → its realized settings) in two queries
    /// instead of one or two per VM, for an inventory of a whole node: WMI calls are slow and a node has many VMs.
    /// </summary>
    internal async Task<IReadOnlyDictionary<Guid, IReadOnlyList<GpuPartitionAdapter>>> ListAllAsync(
        IReadOnlyDictionary<Guid, CimInstance> realizedSettings, CancellationToken cancellationToken)
    {
        // A VM's adapters are components of its realized settings, and a component's InstanceID extends its settings'
        // own (Microsoft:<VM GUID>\...): that places each one. The default template and checkpoints' copies match no VM.
        var owners = realizedSettings.ToDictionary(p => p.Value.RequireString("InstanceID"), p => p.Key, StringComparer.OrdinalIgnoreCase);
        var byVm = new Dictionary<Guid, List<CimInstance>>();
        foreach (var adapter in await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.GpuPartitionSettingData), cancellationToken))
        {
            var id = adapter.RequireString("InstanceID");
            var separator = id.IndexOf('\\', StringComparison.Ordinal);
            if (separator > 0 && owners.TryGetValue(id[..separator], out var vmId))
            {
                (byVm.TryGetValue(vmId, out var list) ? list : byVm[vmId] = []).Add(adapter);
            }
        }

        if (byVm.Count == 0)
        {
            return new Dictionary<Guid, IReadOnlyList<GpuPartitionAdapter>>();
        }

        var devices = (await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.GpuPartition), cancellationToken))
            .Select(GpuPartitionDevice.From)
            .ToLookup(d => d.VmId);
        return byVm.ToDictionary(p => p.Key, p => Pair(p.Key, p.Value, [.. devices[p.Key]]));
    }

    private static IReadOnlyList<GpuPartitionAdapter> Pair(Guid vmId, IReadOnlyList<CimInstance> adapters, List<GpuPartitionDevice> devices)
        => [.. adapters.Select(a =>
        {
            var id = a.RequireString("InstanceID");
            // Pair the device by id; with one adapter and one device (the only case GPU-P allows) pair them anyway,
            // because how Hyper-V names a partition's DeviceID is not documented.
            var device = devices.FirstOrDefault(d => string.Equals(d.DeviceId, id, StringComparison.OrdinalIgnoreCase))
                ?? (adapters.Count == 1 && devices.Count == 1 ? devices[0] : null);
            return new GpuPartitionAdapter(id, vmId, GpuPartitionAdapter.ValuesOf(a), a.GetStringArray("HostResource").FirstOrDefault(), device, a);
        })];

    /// <summary>
    /// Adds a partition adapter to an Off VM the way Add-VMGpuPartitionAdapter does: the Default template unchanged
    /// (its twelve values NULL, so Hyper-V sizes the partition) with, when a GPU is named, HostResource as that GPU's
    /// object path. Sizes only when <paramref name="values"/> asks for them, set afterwards on the new adapter with
    /// ModifyResourceSettings: sending them with the add fails the job with 32773 on a real host (Justsenger/
    /// HyperV-WMI-Documentation verify/EXAMPLES.md, recipes gpu_partition, gpu_vram_fraction; fidelity audit rows 18,
    /// 19). Refuses a VM that is not Off, a VM that already has a partition and a GPU (or host) with no free partition.
    /// </summary>
    public async Task<GpuPartitionAdapter> AddAsync(
        Guid vmId,
        string? gpuInstancePath,
        PartitionValues? values,
        CancellationToken cancellationToken)
    {
        var vm = await RequireOffAsync(vmId, "add a GPU partition adapter to", cancellationToken);
        var existing = await ListAsync(vmId, cancellationToken);
        if (existing.Count > 0)
        {
            throw new CimException(CimErrors.VmHasPartition, $"VM '{vm.Name}' ({vmId}) already has GPU partition adapter {existing[0].AdapterId}; a VM gets at most one.");
        }

        var all = await gpus.ListAsync(cancellationToken);
        var held = await gpus.ListPartitionsAsync(cancellationToken);
        int Free(PartitionableGpu g) => g.PartitionCount - held.Count(p => string.Equals(p.GpuInstancePath, g.Name, StringComparison.OrdinalIgnoreCase));
        PartitionableGpu? gpu = null;
        if (gpuInstancePath is not null)
        {
            gpu = all.FirstOrDefault(g => string.Equals(g.Name, gpuInstancePath, StringComparison.OrdinalIgnoreCase))
                ?? throw new CimException(CimErrors.GpuNotFound, $"No partitionable GPU {gpuInstancePath} on this host (a GPU assigned with DDA is not partitionable).");
            if (Free(gpu) <= 0)
            {
                throw new CimException(CimErrors.NoFreePartition, $"GPU {gpu.Name} has no free partition: all {gpu.PartitionCount} are assigned.");
            }
        }
        else if (all.Sum(Free) <= 0)
        {
            throw new CimException(CimErrors.NoFreePartition, $"No free GPU partition on this host ({all.Count} partitionable GPU(s), all partitions assigned).");
        }

        values?.RequireNoZero();
        var settings = await GetTemplateAsync(cancellationToken);
        if (gpu is not null)
        {
            settings = settings.With("HostResource", new CimValue.TextArray([gpu.Path.ToWmiPath()]));
        }

        var realized = await vms.GetRealizedSettingsAsync(vmId, cancellationToken);
        var result = await cim.InvokeMethodAsync(
            await service.GetPathAsync(cancellationToken),
            "AddResourceSettings",
            new Dictionary<string, CimValue?>
            {
                ["AffectedConfiguration"] = new CimValue.Reference(realized.Path),
                ["ResourceSettings"] = new CimValue.TextArray([CimXml.Write(settings)]),
            },
            cancellationToken);
        await jobs.CompleteAsync(result, $"Adding a GPU partition adapter to VM '{vm.Name}'", cancellationToken);

        var added = await ListAsync(vmId, cancellationToken);
        var adapter = added.Count > 0
            ? added[0]
            : throw new CimException(CimErrors.Failed, $"AddResourceSettings reported success but VM '{vm.Name}' shows no GPU partition adapter.");
        if (values is not null)
        {
            await ModifyAsync(vmId, adapter.AdapterId, values, cancellationToken);
            adapter = (await ListAsync(vmId, cancellationToken)).First(a => a.AdapterId == adapter.AdapterId);
        }

        LogAdded(adapter.AdapterId, vm.Name, vmId, adapter.Device?.GpuInstancePath);
        return adapter;
    }

    /// <summary>Removes the adapter from an Off VM; <see cref="CimErrors.AdapterNotFound"/> when the VM has no such adapter.</summary>
    public async Task RemoveAsync(Guid vmId, string adapterId, CancellationToken cancellationToken)
    {
        var vm = await RequireOffAsync(vmId, "remove a GPU partition adapter from", cancellationToken);
        var adapter = await RequireAdapterAsync(vm, adapterId, cancellationToken);
        var result = await cim.InvokeMethodAsync(
            await service.GetPathAsync(cancellationToken),
            "RemoveResourceSettings",
            new Dictionary<string, CimValue?> { ["ResourceSettings"] = new CimValue.ReferenceArray([adapter.Settings.Path]) },
            cancellationToken);
        await jobs.CompleteAsync(result, $"Removing GPU partition adapter {adapterId} from VM '{vm.Name}'", cancellationToken);
        LogRemoved(adapterId, vm.Name, vmId);
    }

    /// <summary>
    /// Sets all twelve values of an existing adapter (the VM must be Off) with ModifyResourceSettings, as
    /// Set-VMGpuPartitionAdapter does; a 0 is refused before anything is sent (the real-host test warns never to
    /// write 0).
    /// </summary>
    public async Task ModifyAsync(Guid vmId, string adapterId, PartitionValues values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        values.RequireNoZero();
        var vm = await RequireOffAsync(vmId, "modify a GPU partition adapter of", cancellationToken);
        var adapter = await RequireAdapterAsync(vm, adapterId, cancellationToken);
        var settings = adapter.Settings;
        foreach (var (name, value) in values.ToProperties())
        {
            settings = settings.With(name, new CimValue.UInt64(value));
        }

        var result = await cim.InvokeMethodAsync(
            await service.GetPathAsync(cancellationToken),
            "ModifyResourceSettings",
            new Dictionary<string, CimValue?> { ["ResourceSettings"] = new CimValue.TextArray([CimXml.Write(settings)]) },
            cancellationToken);
        await jobs.CompleteAsync(result, $"Modifying GPU partition adapter {adapterId} of VM '{vm.Name}'", cancellationToken);
    }

    /// <summary>Sets the VM's cache-type and MMIO-gap settings through ModifySystemSettings (the VM must be Off).</summary>
    public async Task SetMemorySettingsAsync(Guid vmId, VmGpuMemorySettings memory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (memory.LowMmioGapMb is { } low && low is < VmGpuMemorySettings.MinLowMmioGapMb or > VmGpuMemorySettings.MaxLowMmioGapMb)
        {
            throw new CimException(CimErrors.InvalidMmio, $"Low MMIO gap {low} MB is outside {VmGpuMemorySettings.MinLowMmioGapMb}..{VmGpuMemorySettings.MaxLowMmioGapMb} MB.");
        }

        var vm = await RequireOffAsync(vmId, "change the memory-mapped I/O settings of", cancellationToken);
        var settings = await vms.GetRealizedSettingsAsync(vmId, cancellationToken);
        if (memory.GuestControlledCacheTypes is { } cache)
        {
            settings = settings.With("GuestControlledCacheTypes", new CimValue.Boolean(cache));
        }

        if (memory.LowMmioGapMb is { } lowGap)
        {
            settings = settings.With("LowMmioGapSize", new CimValue.UInt64(lowGap));
        }

        if (memory.HighMmioGapMb is { } highGap)
        {
            settings = settings.With("HighMmioGapSize", new CimValue.UInt64(highGap));
        }

        var result = await cim.InvokeMethodAsync(
            await service.GetPathAsync(cancellationToken),
            "ModifySystemSettings",
            new Dictionary<string, CimValue?> { ["SystemSettings"] = new CimValue.Text(CimXml.Write(settings)) },
            cancellationToken);
        await jobs.CompleteAsync(result, $"Changing GPU memory settings of VM '{vm.Name}'", cancellationToken);
    }

    /// <summary>
    /// Ensures the VM has at least <paramref name="wanted"/>: turns GuestControlledCacheTypes on and raises an MMIO
    /// gap that is smaller, never lowers one. Returns the settings written, or null when nothing needed changing.
    /// </summary>
    public async Task<VmGpuMemorySettings?> EnsureMemorySettingsAsync(Guid vmId, VmGpuMemorySettings wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var current = await GetMemorySettingsAsync(vmId, cancellationToken);
        var change = new VmGpuMemorySettings(
            wanted.GuestControlledCacheTypes == true && current.GuestControlledCacheTypes != true ? true : null,
            wanted.LowMmioGapMb is { } low && (current.LowMmioGapMb ?? 0) < low ? low : null,
            wanted.HighMmioGapMb is { } high && (current.HighMmioGapMb ?? 0) < high ? high : null);
        if (change == new VmGpuMemorySettings())
        {
            return null;
        }

        await SetMemorySettingsAsync(vmId, change, cancellationToken);
        return change;
    }

    /// <summary>Reads GuestControlledCacheTypes and the MMIO gaps from the realized settings.</summary>
    public async Task<VmGpuMemorySettings> GetMemorySettingsAsync(Guid vmId, CancellationToken cancellationToken)
    {
        var settings = await vms.GetRealizedSettingsAsync(vmId, cancellationToken);
        return new VmGpuMemorySettings(settings.GetBoolean("GuestControlledCacheTypes"), settings.GetUnsigned("LowMmioGapSize"), settings.GetUnsigned("HighMmioGapSize"));
    }

    /// <summary>
    /// The Default GPU partition settings, reached as Microsoft's own client does: the primordial GPU partition
    /// Msvm_ResourcePool → Msvm_AllocationCapabilities (Msvm_ElementCapabilities) → the Msvm_SettingsDefineCapabilities
    /// with ValueRole 0 (Default) → its PartComponent (WmiUtilities.GetDefaultObjectFromResourcePool; decompiled
    /// VMGpuPartitionAdapter.CreateTemplateGpuPartitionAdapter; audit row 17). Falls back to
    /// <c>InstanceID LIKE '%\Default'</c>, which works on real hosts (HVWD connect_switch).
    /// </summary>
    internal async Task<CimInstance> GetTemplateAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await GetTemplateThroughCapabilitiesAsync(cancellationToken) is { } template)
            {
                return template;
            }

            LogTemplateFallback("no primordial GPU partition pool, capabilities or Default capability");
        }
        catch (CimException e)
        {
            LogTemplateFallback(e.Code);
        }

        var templates = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.GpuPartitionSettingData, Wql.Equal("ResourceSubType", HyperVClasses.GpuPartitionSubType), Wql.EndsWith("InstanceID", @"\Default")),
            cancellationToken);
        return templates.Count > 0
            ? templates[0]
            : throw new CimException(CimErrors.TemplateNotFound, "Hyper-V has no default GPU partition settings template: is GPU-P supported on this host?");
    }

    internal async Task<CimInstance?> GetTemplateThroughCapabilitiesAsync(CancellationToken cancellationToken)
    {
        var pools = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(
                HyperVClasses.ResourcePool,
                Wql.Equal("ResourceType", HyperVClasses.GpuPartitionResourceType),
                Wql.Equal("ResourceSubType", HyperVClasses.GpuPartitionSubType),
                Wql.Equal("Primordial", true)),
            cancellationToken);
        if (pools.Count == 0)
        {
            return null;
        }

        var capabilities = await cim.GetAssociatedAsync(pools[0].Path, HyperVClasses.ElementCapabilities, HyperVClasses.AllocationCapabilities, cancellationToken);
        if (capabilities.Count == 0)
        {
            return null;
        }

        var defines = await cim.GetReferencesAsync(capabilities[0].Path, HyperVClasses.SettingsDefineCapabilities, cancellationToken);
        var @default = defines.FirstOrDefault(d => d.GetUnsigned("ValueRole") == 0 && (d.GetUnsigned("ValueRange") ?? 0) == 0);
        return @default?.Get("PartComponent") is CimValue.Reference path
            ? await cim.GetInstanceAsync(path.Value, cancellationToken)
            : null;
    }

    private async Task<VirtualMachine> RequireOffAsync(Guid vmId, string action, CancellationToken cancellationToken)
    {
        var vm = await vms.GetAsync(vmId, cancellationToken);
        return vm.EnabledState == VirtualMachine.Off
            ? vm
            : throw new CimException(CimErrors.VmNotOff, $"Can't {action} VM '{vm.Name}' ({vmId}) while it is {vm.PowerState}: it must be Off.");
    }

    private async Task<GpuPartitionAdapter> RequireAdapterAsync(VirtualMachine vm, string adapterId, CancellationToken cancellationToken)
        => (await ListAsync(vm.Id, cancellationToken))
            .FirstOrDefault(a => string.Equals(a.AdapterId, adapterId, StringComparison.OrdinalIgnoreCase))
            ?? throw new CimException(CimErrors.AdapterNotFound, $"VM '{vm.Name}' ({vm.Id}) has no GPU partition adapter {adapterId}.");

    [LoggerMessage(EventId = 1320, Level = LogLevel.Information, Message = "Added GPU partition adapter {Adapter} to VM {VmName} ({VmId}) on GPU {Gpu}")]
    private partial void LogAdded(string adapter, string vmName, Guid vmId, string? gpu);

    [LoggerMessage(EventId = 1321, Level = LogLevel.Information, Message = "Removed GPU partition adapter {Adapter} from VM {VmName} ({VmId})")]
    private partial void LogRemoved(string adapter, string vmName, Guid vmId);

    [LoggerMessage(EventId = 1322, Level = LogLevel.Information, Message = "Reaching the Default GPU partition settings through the resource pool failed ({Reason}); using the InstanceID LIKE query")]
    private partial void LogTemplateFallback(string reason);
}
