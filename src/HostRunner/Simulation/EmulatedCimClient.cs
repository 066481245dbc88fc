using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using static GpuAutomation.HostRunner.HyperV.HyperVReturnCodes;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// One node's view of an <see cref="EmulatedCluster"/> through the CIM seam. It answers like the Hyper-V,
/// failover-cluster and PnP providers for exactly the classes, queries and methods the operations use, enforces
/// Hyper-V's rules with its return codes, and refuses anything else with a <see cref="CimException"/> naming it.
/// </summary>
public sealed class EmulatedCimClient : ICimClient
{
    private const string TemplateId = @"Microsoft:Definition\66B4EA42-C4A2-4B27-9A7C-8A1E2F5B0C31\Default";
    private const string FailedToAdd = "Failed to add device 'GPU Partition'.";
    private static readonly (string Name, ulong Total)[] Resources =
        [("VRAM", EmulatedGpu.UnitTotal), ("Encode", ulong.MaxValue), ("Decode", EmulatedGpu.UnitTotal), ("Compute", EmulatedGpu.UnitTotal)];

    private readonly EmulatedCluster _cluster;
    private readonly string _node;

    internal EmulatedCimClient(EmulatedCluster cluster, string node)
    {
        this._cluster = cluster;
        this._node = node;
    }

    public async Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = WqlFilter.Parse(query.Text);
        await CallFaultAsync("Query", filter.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            return [.. InstancesOf(ns, filter.ClassName).Where(filter.Matches)];
        }
    }

    public async Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        await CallFaultAsync("GetInstance", path.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            return Find(path);
        }
    }

    public async Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await CallFaultAsync("GetAssociated", source.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            if (!Is(source.ClassName, HyperVClasses.VirtualSystemSettingData)
                || !Is(associationClass, HyperVClasses.VirtualSystemSettingDataComponent)
                || !Is(resultClass, HyperVClasses.GpuPartitionSettingData))
            {
                throw new CimException(CimErrors.NotSupported, $"The emulator models no association {associationClass} from {source.ClassName} to {resultClass}.");
            }

            _ = Find(source);
            var vm = VmOfSettings(source.KeyValue("InstanceID"));
            return vm?.Adapter is { } adapter ? [AdapterInstance(vm, adapter)] : [];
        }
    }

    public async Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        await CallFaultAsync("ModifyInstance", instance.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            var current = Find(instance.Path);
            if (Is(instance.ClassName, HyperVClasses.PartitionableGpu))
            {
                ModifyGpu(current, instance);
            }
            else if (Is(instance.ClassName, ClusterResources.ResourceClass))
            {
                ModifyClusterResource(instance);
            }
            else
            {
                throw new CimException(CimErrors.NotSupported, $"The emulator can't modify {instance.ClassName} instances.");
            }
        }
    }

    public async Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(inParameters);
        var fault = await CallFaultAsync(methodName, target.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            var instance = Find(target);
            if (fault is not null)
            {
                return new CimMethodResult(fault.ReturnValue, new Dictionary<string, CimValue?>());
            }

            var parameters = new Dictionary<string, CimValue?>(inParameters, StringComparer.OrdinalIgnoreCase);
            return (target.ClassName, methodName) switch
            {
                (HyperVClasses.ManagementService, "AddResourceSettings") => AddResourceSettings(parameters),
                (HyperVClasses.ManagementService, "RemoveResourceSettings") => RemoveResourceSettings(parameters),
                (HyperVClasses.ManagementService, "ModifyResourceSettings") => ModifyResourceSettings(parameters),
                (HyperVClasses.ManagementService, "ModifySystemSettings") => ModifySystemSettings(parameters),
                (HyperVClasses.ComputerSystem, "RequestStateChange") => RequestStateChange(instance, parameters),
                (HyperVClasses.ShutdownComponent, "InitiateShutdown") => InitiateShutdown(instance),
                _ => throw new CimException(CimErrors.NotSupported, $"The emulator models no method {target.ClassName}.{methodName}."),
            };
        }
    }

    private async Task<EmulatedFault?> CallFaultAsync(string operation, string className, CancellationToken cancellationToken)
    {
        var fault = _cluster.Faults.Take(_node, operation, className, k => k is EmulatedFaultKind.Fail or EmulatedFaultKind.Hang or EmulatedFaultKind.Slow);
        switch (fault?.Kind)
        {
            case EmulatedFaultKind.Hang:
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, _cluster.Time, cancellationToken);
                return null;
            case EmulatedFaultKind.Slow:
                await Task.Delay(fault.Delay, _cluster.Time, cancellationToken);
                return null;
            case EmulatedFaultKind.Fail when operation is "Query" or "GetInstance" or "GetAssociated" or "ModifyInstance":
                throw new CimException(fault.Code ?? CimErrors.Failed, $"Injected fault: {operation} on {className} failed ({fault.Description}).");
            default:
                return fault;
        }
    }

    private static bool Is(string actual, string expected) => string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);

    private CimInstance Find(CimInstancePath path)
        => InstancesOf(path.Namespace, path.ClassName).FirstOrDefault(i => i.Path.Equals(path))
            ?? throw new CimException(CimErrors.NotFound, $"No instance {path.ToWmiPath()} on {_node}.");

    private IEnumerable<CimInstance> InstancesOf(string ns, string className)
    {
        if (Is(ns, CimNamespaces.Virtualization))
        {
            return className switch
            {
                _ when Is(className, HyperVClasses.PartitionableGpu) => _cluster.NodeGpus(_node).Where(g => g.IsPartitionable).Select(GpuInstance),
                _ when Is(className, HyperVClasses.ComputerSystem) => [HostSystem(), .. _cluster.NodeVms(_node).Select(VmInstance)],
                _ when Is(className, HyperVClasses.VirtualSystemSettingData) => _cluster.NodeVms(_node).Select(SettingsInstance),
                _ when Is(className, HyperVClasses.GpuPartitionSettingData) => [Template(), .. _cluster.NodeVms(_node).Where(v => v.Adapter is not null).Select(v => AdapterInstance(v, v.Adapter!))],
                _ when Is(className, HyperVClasses.GpuPartition) => _cluster.NodeVms(_node).Where(v => v.Adapter?.Gpu is not null).Select(PartitionInstance),
                _ when Is(className, HyperVClasses.ManagementService) => [ServiceInstance()],
                _ when Is(className, HyperVClasses.ShutdownComponent) => _cluster.NodeVms(_node).Where(v => v.ShutdownIntegration && v.EnabledState is 2 or 4).Select(ShutdownInstance),
                _ when Is(className, HyperVClasses.ConcreteJob) => _cluster.Jobs.Select(JobInstance),
                _ => throw UnknownClass(ns, className),
            };
        }

        if (Is(ns, CimNamespaces.Cluster))
        {
            if (_cluster.Name is null)
            {
                throw new CimException(CimErrors.InvalidNamespace, $@"Namespace root\MSCluster does not exist on {_node}: it is not a cluster node.");
            }

            return className switch
            {
                _ when Is(className, ClusterResources.ClusterClass) => [Make(ns, ClusterResources.ClusterClass, ["Name"], ("Name", Text(_cluster.Name)))],
                _ when Is(className, ClusterResources.ResourceClass) => _cluster.AllVms.Where(v => v.Clustered).Select(ResourceInstance),
                _ => throw UnknownClass(ns, className),
            };
        }

        if (Is(ns, CimNamespaces.Cimv2))
        {
            return className switch
            {
                _ when Is(className, "Win32_PnPEntity") => _cluster.NodeGpus(_node).Select(PnpInstance),
                _ when Is(className, "Win32_OperatingSystem") => [Make(ns, "Win32_OperatingSystem", ["Name"], ("Name", Text("Microsoft Azure Stack HCI")), ("BuildNumber", Text(_cluster.OsBuild(_node))))],
                _ => throw UnknownClass(ns, className),
            };
        }

        throw new CimException(CimErrors.InvalidNamespace, $"The emulator models no namespace {ns}.");
    }

    private CimException UnknownClass(string ns, string className)
        => new(CimErrors.InvalidClass, $"The emulator models no class {className} in {ns}.");

    private CimInstance Make(string ns, string className, string[] keys, params (string Name, CimValue? Value)[] properties)
        => new(ns, className, properties.Select(p => new KeyValuePair<string, CimValue?>(p.Name, p.Value)), keys, _node);

    private static CimValue.Text Text(string value) => new(value);

    private static CimValue.UInt64 U64(ulong value) => new(value);

    private CimInstance GpuInstance(EmulatedGpu gpu)
    {
        var assigned = (ulong)_cluster.AssignedOn(gpu);
        var count = (ulong)Math.Max(gpu.PartitionCount, 1);
        var properties = new List<(string, CimValue?)>
        {
            ("CreationClassName", Text(HyperVClasses.PartitionableGpu)),
            ("Name", Text(gpu.InstancePath)),
            ("ValidPartitionCounts", new CimValue.UInt16Array([.. gpu.ValidCounts.Select(c => (ushort)c)])),
            ("PartitionCount", new CimValue.UInt16((ushort)gpu.PartitionCount)),
        };
        foreach (var (name, total) in Resources)
        {
            var per = total / count;
            properties.Add(($"Total{name}", U64(total)));
            properties.Add(($"Available{name}", U64(total - (per * Math.Min(assigned, count)))));
            properties.Add(($"MinPartition{name}", U64(per)));
            properties.Add(($"MaxPartition{name}", U64(per)));
            properties.Add(($"OptimalPartition{name}", U64(per)));
        }

        return Make(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, ["CreationClassName", "Name"], [.. properties]);
    }

    private CimInstance HostSystem()
        => Make(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["CreationClassName", "Name"],
            ("CreationClassName", Text(HyperVClasses.ComputerSystem)), ("Name", Text(_node)), ("ElementName", Text(_node)),
            ("Caption", Text("Hosting Computer System")), ("EnabledState", new CimValue.UInt16(2)));

    private CimInstance VmInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["CreationClassName", "Name"],
            ("CreationClassName", Text(HyperVClasses.ComputerSystem)), ("Name", Text(vm.GuidText)), ("ElementName", Text(vm.Name)),
            ("Caption", Text("Virtual Machine")), ("EnabledState", new CimValue.UInt16(vm.EnabledState)));

    private CimInstance SettingsInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingData, ["InstanceID"],
            ("InstanceID", Text($"Microsoft:{vm.GuidText}")), ("VirtualSystemIdentifier", Text(vm.GuidText)),
            ("VirtualSystemType", Text(HyperVClasses.RealizedSystemType)), ("ElementName", Text(vm.Name)),
            ("Notes", new CimValue.TextArray(vm.Notes is null ? [] : [vm.Notes])),
            ("GuestControlledCacheTypes", new CimValue.Boolean(vm.GuestControlledCacheTypes)),
            ("LowMmioGapSize", U64(vm.LowMmioGapSize)), ("HighMmioGapSize", U64(vm.HighMmioGapSize)));

    private CimInstance Template()
    {
        var properties = new List<(string, CimValue?)>
        {
            ("InstanceID", Text(TemplateId)),
            ("ResourceType", new CimValue.UInt16(HyperVClasses.GpuPartitionResourceType)),
            ("ResourceSubType", Text(HyperVClasses.GpuPartitionSubType)),
            ("ElementName", Text("GPU Partition")),
            ("HostResource", new CimValue.TextArray([])),
        };
        foreach (var (name, total) in Resources)
        {
            properties.Add(($"MinPartition{name}", U64(total / 16)));
            properties.Add(($"MaxPartition{name}", U64(total / 16)));
            properties.Add(($"OptimalPartition{name}", U64(total / 16)));
        }

        return Make(CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, ["InstanceID"], [.. properties]);
    }

    private CimInstance AdapterInstance(EmulatedVm vm, EmulatedAdapter adapter)
    {
        var properties = new List<(string, CimValue?)>
        {
            ("InstanceID", Text(adapter.AdapterId)),
            ("ResourceType", new CimValue.UInt16(HyperVClasses.GpuPartitionResourceType)),
            ("ResourceSubType", Text(HyperVClasses.GpuPartitionSubType)),
            ("ElementName", Text("GPU Partition")),
            ("HostResource", new CimValue.TextArray(adapter.RequestedGpuPath is null ? [] : [adapter.RequestedGpuPath])),
        };
        properties.AddRange(adapter.Values.Select(v => (v.Key, (CimValue?)U64(v.Value))));
        _ = vm;
        return Make(CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, ["InstanceID"], [.. properties]);
    }

    private CimInstance PartitionInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.GpuPartition, ["CreationClassName", "DeviceID", "SystemCreationClassName", "SystemName"],
            ("CreationClassName", Text(HyperVClasses.GpuPartition)), ("DeviceID", Text(vm.Adapter!.AdapterId)),
            ("SystemCreationClassName", Text(HyperVClasses.ComputerSystem)), ("SystemName", Text(vm.GuidText)),
            ("DeviceInstancePath", Text(vm.Adapter.Gpu!.InstancePath)), ("PartitionId", new CimValue.UInt16((ushort)vm.Adapter.PartitionId!.Value)),
            ("PartitionVfLuid", Text(vm.Adapter.VfLuid ?? string.Empty)));

    private CimInstance JobInstance(EmulatedJob job)
        => Make(CimNamespaces.Virtualization, HyperVClasses.ConcreteJob, ["InstanceID"],
            ("InstanceID", Text(job.Id)), ("JobState", new CimValue.UInt16(job.JobState)),
            ("PercentComplete", new CimValue.UInt16(job.PercentComplete(_cluster.Time.GetUtcNow()))),
            ("ErrorCode", new CimValue.UInt16((ushort)job.ErrorCode)),
            ("ErrorDescription", job.ErrorDescription is null ? null : Text(job.ErrorDescription)),
            ("ErrorSummaryDescription", job.ErrorDescription is null ? null : Text(job.ErrorDescription)));

    private CimInstance ServiceInstance()
        => Make(CimNamespaces.Virtualization, HyperVClasses.ManagementService, ["CreationClassName", "Name", "SystemCreationClassName", "SystemName"],
            ("CreationClassName", Text(HyperVClasses.ManagementService)), ("Name", Text("vmms")),
            ("SystemCreationClassName", Text(HyperVClasses.ComputerSystem)), ("SystemName", Text(_node)));

    private CimInstance ShutdownInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.ShutdownComponent, ["CreationClassName", "DeviceID", "SystemCreationClassName", "SystemName"],
            ("CreationClassName", Text(HyperVClasses.ShutdownComponent)), ("DeviceID", Text($@"Microsoft:{vm.GuidText}\9F8233AC-BE49-4C79-8EE3-E7E1985B2077")),
            ("SystemCreationClassName", Text(HyperVClasses.ComputerSystem)), ("SystemName", Text(vm.GuidText)), ("EnabledState", new CimValue.UInt16(2)));

    private CimInstance ResourceInstance(EmulatedVm vm)
    {
        var privateProperties = new CimInstance(CimNamespaces.Cluster, "MSCluster_Property", [
            new("VmID", Text(vm.Id.ToString("D"))),
            new("OfflineAction", new CimValue.UInt32((uint)vm.OfflineAction)),
        ], []);
        return Make(CimNamespaces.Cluster, ClusterResources.ResourceClass, ["Name"],
            ("Name", Text($"Virtual Machine {vm.Name}")), ("Type", Text(ClusterResources.VirtualMachineType)), ("OwnerGroup", Text(vm.Name)),
            ("OwnerNode", Text(vm.Node)), ("State", new CimValue.UInt32(vm.EnabledState == 2 ? ClusterVmResource.Online : 3)),
            ("PrivateProperties", new CimValue.Instance(privateProperties)));
    }

    private CimInstance PnpInstance(EmulatedGpu gpu)
    {
        var id = GpuDeviceIds.FromInstancePath(gpu.InstancePath) ?? gpu.InstancePath;
        return Make(CimNamespaces.Cimv2, "Win32_PnPEntity", ["DeviceID"],
            ("DeviceID", Text(id)), ("PNPDeviceID", Text(id)),
            ("Name", Text(gpu.PnpErrorCode == 0 ? gpu.Model.Name : "3D Video Controller")),
            ("Manufacturer", Text(gpu.PnpErrorCode == 0 ? gpu.Model.Vendor : "(Standard display types)")),
            ("Status", Text(gpu.PnpStatus)), ("ConfigManagerErrorCode", new CimValue.UInt32((uint)gpu.PnpErrorCode)),
            ("ClassGuid", Text(DisplayDevices.DisplayClassGuid)));
    }

    private EmulatedVm? VmOfSettings(string? instanceId)
        => _cluster.NodeVms(_node).FirstOrDefault(v => string.Equals($"Microsoft:{v.GuidText}", instanceId, StringComparison.OrdinalIgnoreCase));

    private EmulatedVm? VmOfAdapter(string? adapterId)
        => _cluster.NodeVms(_node).FirstOrDefault(v => v.Adapter is { } a && string.Equals(a.AdapterId, adapterId, StringComparison.OrdinalIgnoreCase));

    private void ModifyGpu(CimInstance current, CimInstance requested)
    {
        foreach (var (name, value) in requested.Properties)
        {
            if (!Is(name, "PartitionCount") && !Equals(current.Get(name), value))
            {
                throw new CimException(CimErrors.InvalidParameter, $"{HyperVClasses.PartitionableGpu}.{name} is read-only.", InvalidParameter);
            }
        }

        var gpu = _cluster.NodeGpus(_node).First(g => g.InstancePath == current.RequireString("Name"));
        var count = (int)requested.RequireUnsigned("PartitionCount");
        if (count == gpu.PartitionCount)
        {
            return;
        }

        if (!gpu.ValidCounts.Contains(count))
        {
            throw new CimException(CimErrors.InvalidParameter, $"Partition count {count} is not valid for {gpu.InstancePath} (valid: {string.Join(", ", gpu.ValidCounts)}).", InvalidParameter);
        }

        if (_cluster.AssignedOn(gpu) > 0)
        {
            // Real Hyper-V's error here is undocumented; a generic failure makes the operations decide from inventory.
            throw new CimException(CimErrors.Failed, $"The partition count of {gpu.InstancePath} can't change while partitions are assigned.", 1);
        }

        gpu.PartitionCount = count;
    }

    private void ModifyClusterResource(CimInstance requested)
    {
        var name = requested.RequireString("Name");
        var vm = _cluster.AllVms.FirstOrDefault(v => v.Clustered && $"Virtual Machine {v.Name}" == name)
            ?? throw new CimException(CimErrors.NotFound, $"No cluster resource '{name}'.");
        var action = requested.GetInstance("PrivateProperties")?.GetUnsigned("OfflineAction")
            ?? throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': PrivateProperties.OfflineAction is missing.");
        if (action > 3)
        {
            throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': OfflineAction {action} is outside 0..3.", 87);
        }

        vm.OfflineAction = (Contracts.Inventory.OfflineAction)action;
        if (vm.EnabledState == 2)
        {
            throw new CimException(CimErrors.PropertiesStored, $"The properties of '{name}' were stored but take effect when the resource is next brought online.", 0x13A0);
        }
    }

    private CimMethodResult Job(string method, string className, Func<(uint ErrorCode, string Description)?> effect, params (string Name, CimValue? Value)[] outs)
    {
        var fault = _cluster.Faults.Take(_node, method, className, k => k is EmulatedFaultKind.FailJob or EmulatedFaultKind.HangJob or EmulatedFaultKind.SlowJob);
        var job = _cluster.StartJob(
            fault?.Kind == EmulatedFaultKind.SlowJob ? fault.Delay : TimeSpan.Zero,
            fault?.Kind == EmulatedFaultKind.HangJob,
            fault?.Kind == EmulatedFaultKind.FailJob ? () => (fault.JobErrorCode, fault.Description) : effect);
        var result = new Dictionary<string, CimValue?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Job"] = new CimValue.Reference(new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.ConcreteJob, [new("InstanceID", job.Id)], _node)),
        };
        foreach (var (name, value) in outs)
        {
            result[name] = value;
        }

        return new CimMethodResult(JobStarted, result);
    }

    private static CimMethodResult Return(uint value) => new(value, new Dictionary<string, CimValue?>());

    private static CimInstance? ReadEmbedded(CimValue? value)
    {
        try
        {
            return value is CimValue.Text t ? CimXml.Read(t.Value, CimNamespaces.Virtualization, ["InstanceID"]) : null;
        }
        catch (CimException)
        {
            return null;
        }
    }

    private CimMethodResult AddResourceSettings(Dictionary<string, CimValue?> parameters)
    {
        if (parameters.GetValueOrDefault("AffectedConfiguration") is not CimValue.Reference target
            || parameters.GetValueOrDefault("ResourceSettings") is not CimValue.TextArray { Value.Count: 1 } settingsText
            || VmOfSettings(target.Value.KeyValue("InstanceID")) is not { } vm
            || ReadEmbedded(new CimValue.Text(settingsText.Value[0])) is not { } settings)
        {
            return Return(InvalidParameter);
        }

        if (!Is(settings.ClassName, HyperVClasses.GpuPartitionSettingData))
        {
            return Return(NotSupported);
        }

        if (vm.EnabledState != 3)
        {
            return Return(InvalidState);
        }

        string? gpuName = null;
        var hostResource = settings.GetStringArray("HostResource");
        if (hostResource.Count > 0)
        {
            try
            {
                var path = CimInstancePath.Parse(hostResource[0]);
                gpuName = Is(path.ClassName, HyperVClasses.PartitionableGpu) ? path.KeyValue("Name") : null;
            }
            catch (CimException)
            {
                gpuName = null;
            }

            if (gpuName is null)
            {
                // What Hyper-V does when HostResource holds the GPU's Name instead of its object path.
                return Job("AddResourceSettings", HyperVClasses.ManagementService, () => (32768, FailedToAdd));
            }
        }

        var adapter = _cluster.NewAdapter(vm);
        var template = Template();
        foreach (var name in HyperVClasses.PartitionValueProperties)
        {
            adapter.Values[name] = settings.GetUnsigned(name) ?? template.RequireUnsigned(name);
        }

        adapter.RequestedGpuPath = hostResource.Count > 0 ? hostResource[0] : null;
        var adapterPath = new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, [new("InstanceID", adapter.AdapterId)], _node);
        return Job(
            "AddResourceSettings",
            HyperVClasses.ManagementService,
            () =>
            {
                if (vm.Adapter is not null)
                {
                    return (32768, $"{FailedToAdd} The virtual machine '{vm.Name}' already has a GPU partition adapter.");
                }

                if (vm.EnabledState != 3)
                {
                    return (32775, $"{FailedToAdd} The virtual machine '{vm.Name}' is not off.");
                }

                if (_cluster.AllocatePartition(vm, adapter, gpuName) is { } error)
                {
                    return (32768, $"{FailedToAdd} {error}");
                }

                vm.Adapter = adapter;
                return null;
            },
            ("ResultingResourceSettings", new CimValue.ReferenceArray([adapterPath])));
    }

    private CimMethodResult RemoveResourceSettings(Dictionary<string, CimValue?> parameters)
    {
        if (parameters.GetValueOrDefault("ResourceSettings") is not CimValue.ReferenceArray { Value.Count: > 0 } targets)
        {
            return Return(InvalidParameter);
        }

        var victims = targets.Value.Select(p => VmOfAdapter(p.KeyValue("InstanceID"))).ToList();
        if (victims.Any(v => v is null))
        {
            return Return(InvalidParameter);
        }

        if (victims.Any(v => v!.EnabledState != 3))
        {
            return Return(InvalidState);
        }

        var ids = targets.Value.Select(p => p.KeyValue("InstanceID")).ToList();
        return Job("RemoveResourceSettings", HyperVClasses.ManagementService, () =>
        {
            foreach (var (vm, id) in victims.Zip(ids))
            {
                if (vm!.Adapter?.AdapterId != id)
                {
                    return (32768, $"The device {id} no longer exists.");
                }

                vm.Adapter = null;
            }

            return null;
        });
    }

    private CimMethodResult ModifyResourceSettings(Dictionary<string, CimValue?> parameters)
    {
        if (parameters.GetValueOrDefault("ResourceSettings") is not CimValue.TextArray { Value.Count: 1 } text
            || ReadEmbedded(new CimValue.Text(text.Value[0])) is not { } settings
            || VmOfAdapter(settings.GetString("InstanceID")) is not { } vm)
        {
            return Return(InvalidParameter);
        }

        if (vm.EnabledState != 3)
        {
            return Return(InvalidState);
        }

        return Job("ModifyResourceSettings", HyperVClasses.ManagementService, () =>
        {
            if (vm.Adapter is not { } adapter || adapter.AdapterId != settings.GetString("InstanceID"))
            {
                return (32768, "The GPU partition adapter no longer exists.");
            }

            foreach (var name in HyperVClasses.PartitionValueProperties)
            {
                if (settings.GetUnsigned(name) is { } value)
                {
                    adapter.Values[name] = value;
                }
            }

            return null;
        });
    }

    private CimMethodResult ModifySystemSettings(Dictionary<string, CimValue?> parameters)
    {
        if (ReadEmbedded(parameters.GetValueOrDefault("SystemSettings")) is not { } settings
            || !Is(settings.ClassName, HyperVClasses.VirtualSystemSettingData)
            || VmOfSettings(settings.GetString("InstanceID")) is not { } vm)
        {
            return Return(InvalidParameter);
        }

        var low = settings.GetUnsigned("LowMmioGapSize");
        if (low is < VmGpuMemorySettings.MinLowMmioGapMb or > VmGpuMemorySettings.MaxLowMmioGapMb)
        {
            return Return(InvalidParameter);
        }

        if (vm.EnabledState != 3)
        {
            return Return(InvalidState);
        }

        return Job("ModifySystemSettings", HyperVClasses.ManagementService, () =>
        {
            vm.GuestControlledCacheTypes = settings.GetBoolean("GuestControlledCacheTypes") ?? vm.GuestControlledCacheTypes;
            vm.LowMmioGapSize = low ?? vm.LowMmioGapSize;
            vm.HighMmioGapSize = settings.GetUnsigned("HighMmioGapSize") ?? vm.HighMmioGapSize;
            return null;
        });
    }

    private CimMethodResult RequestStateChange(CimInstance instance, Dictionary<string, CimValue?> parameters)
    {
        if (!Guid.TryParse(instance.GetString("Name"), out var id) || _cluster.NodeVms(_node).FirstOrDefault(v => v.Id == id) is not { } vm)
        {
            return Return(InvalidParameter);
        }

        var requested = parameters.GetValueOrDefault("RequestedState") is CimValue v ? (v as CimValue.UInt16)?.Value : null;
        switch (requested)
        {
            case 2 when vm.EnabledState is 3 or 6 or 9 or 32768 or 32769:
                vm.EnabledState = 10;
                return Job("RequestStateChange", HyperVClasses.ComputerSystem, () =>
                {
                    vm.EnabledState = 2;
                    return null;
                });
            case 3 when vm.EnabledState != 3:
                return Job("RequestStateChange", HyperVClasses.ComputerSystem, () =>
                {
                    vm.EnabledState = 3;
                    vm.ShutdownDoneAt = null;
                    return null;
                });
            case 6 when vm.EnabledState == 2 && vm.Adapter is null:
                return Job("RequestStateChange", HyperVClasses.ComputerSystem, () =>
                {
                    vm.EnabledState = 6;
                    return null;
                });
            case 4:
                return Return(NotSupported);
            case 2 or 3 or 6:
                return Return(InvalidStateForOperation);
            default:
                return Return(InvalidParameter);
        }
    }

    private CimMethodResult InitiateShutdown(CimInstance instance)
    {
        if (!Guid.TryParse(instance.GetString("SystemName"), out var id) || _cluster.NodeVms(_node).FirstOrDefault(v => v.Id == id) is not { } vm)
        {
            return Return(InvalidParameter);
        }

        if (vm.EnabledState == 4)
        {
            return Return(AlreadyShuttingDown);
        }

        if (vm.EnabledState != 2)
        {
            return Return(InvalidStateForOperation);
        }

        vm.EnabledState = 4;
        vm.ShutdownDoneAt = _cluster.Time.GetUtcNow() + _cluster.GuestShutdownDelay;
        return Return(Completed);
    }
}
