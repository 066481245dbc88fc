using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Platform;
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
    private const string PoolId = "Microsoft:GpuPartition Primordial Pool";
    private const string CapabilitiesId = @"Microsoft:GpuPartition\Capabilities";
    private const string BmcVgaId = @"PCI\VEN_1A03&DEV_2000&SUBSYS_20001A03&REV_41\4&2A6D3C1&0&0018";
    private const string MinimumTemplateId = @"Microsoft:Definition\66B4EA42-C4A2-4B27-9A7C-8A1E2F5B0C31\Minimum";

    /// <summary>
    /// The job error a client-host test got when the twelve values came with AddResourceSettings (Justsenger/
    /// HyperV-WMI-Documentation verify/EXAMPLES.md, recipes gpu_partition, gpu_vram_fraction; audit E6).
    /// </summary>
    private const uint ValuesAtAdd = 32773;
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
            if (Is(source.ClassName, HyperVClasses.ResourcePool)
                && Is(associationClass, HyperVClasses.ElementCapabilities)
                && Is(resultClass, HyperVClasses.AllocationCapabilities))
            {
                _ = Find(source);
                return [CapabilitiesInstance()];
            }

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

    public async Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        await CallFaultAsync("GetReferences", target.ClassName, cancellationToken);
        lock (_cluster.Gate)
        {
            _cluster.Tick();
            if (!Is(target.ClassName, HyperVClasses.AllocationCapabilities) || !Is(associationClass, HyperVClasses.SettingsDefineCapabilities))
            {
                throw new CimException(CimErrors.NotSupported, $"The emulator models no association {associationClass} referencing {target.ClassName}.");
            }

            _ = Find(target);
            return [.. DefineCapabilities()];
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

            // What goes over the wire is what MiCimClient sends: the keys and the changed properties.
            var sent = instance.ForModify();
            if (Is(instance.ClassName, HyperVClasses.PartitionableGpu))
            {
                ModifyGpu(current, sent);
            }
            else if (Is(instance.ClassName, ClusterResources.ResourceClass))
            {
                ModifyClusterResource(current, sent);
            }
            else
            {
                throw new CimException(CimErrors.NotSupported, $"The emulator can't modify {instance.ClassName} instances.");
            }
        }
    }

    /// <summary>
    /// A class declaration as MI's GetClass returns it: InvalidNamespace for a namespace the node lacks (root\MSCluster
    /// off a cluster), InvalidClass for a class the provider does not register. The emulator declares the methods it
    /// models; the real classes declare more (e.g. DefineSystem on the management service), which nothing here calls.
    /// </summary>
    public async Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken)
    {
        await CallFaultAsync("GetClass", className, cancellationToken);
        var withoutMethods = _cluster.Faults.Take(_node, "GetClass", className, k => k is EmulatedFaultKind.MissingMethods) is not null;
        if (Is(ns, CimNamespaces.Cluster) && _cluster.Name is null)
        {
            throw new CimException(CimErrors.InvalidNamespace, $@"Namespace root\MSCluster does not exist on {_node}: it is not a cluster node.");
        }

        var declared = DeclaredClasses.FirstOrDefault(c => Is(c.Namespace, ns) && Is(c.ClassName, className))
            ?? throw (DeclaredClasses.Any(c => Is(c.Namespace, ns)) ? UnknownClass(ns, className) : new CimException(CimErrors.InvalidNamespace, $"The emulator models no namespace {ns}."));
        return withoutMethods ? declared with { Methods = [] } : declared;
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
                (ClusterGroups.GroupClass, ClusterGroups.MoveToNewNode) => MoveGroup(instance, parameters, withParams: false),
                (ClusterGroups.GroupClass, ClusterGroups.MoveToNewNodeParams) => MoveGroup(instance, parameters, withParams: true),
                (ClusterGroups.GroupClass, ClusterGroups.BringOnline) => BringOnline(instance),
                _ => throw new CimException(CimErrors.NotSupported, $"The emulator models no method {target.ClassName}.{methodName}."),
            };
        }
    }

    private static readonly CimClassDeclaration[] DeclaredClasses =
    [
        new(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, []),
        new(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["RequestStateChange"]),
        new(CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingData, []),
        new(CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingDataComponent, []),
        new(CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, []),
        new(CimNamespaces.Virtualization, HyperVClasses.GpuPartition, []),
        new(CimNamespaces.Virtualization, HyperVClasses.ManagementService, ["AddResourceSettings", "ModifyResourceSettings", "RemoveResourceSettings", "ModifySystemSettings"]),
        new(CimNamespaces.Virtualization, HyperVClasses.ShutdownComponent, ["InitiateShutdown"]),
        new(CimNamespaces.Virtualization, HyperVClasses.ConcreteJob, []),
        new(CimNamespaces.Virtualization, HyperVClasses.ResourcePool, []),
        new(CimNamespaces.Virtualization, HyperVClasses.AllocationCapabilities, []),
        new(CimNamespaces.Virtualization, HyperVClasses.ElementCapabilities, []),
        new(CimNamespaces.Virtualization, HyperVClasses.SettingsDefineCapabilities, []),
        new(CimNamespaces.Cluster, ClusterResources.ClusterClass, []),
        new(CimNamespaces.Cluster, ClusterResources.ResourceClass, []),
        // The real class declares more (TakeOffline, MoveToNewNodeEx, ...); these are the ones the agent calls.
        new(CimNamespaces.Cluster, ClusterGroups.GroupClass, [ClusterGroups.MoveToNewNode, ClusterGroups.MoveToNewNodeParams, ClusterGroups.BringOnline]),
        new(CimNamespaces.Cluster, ClusterGroups.NodeClass, []),
        new(CimNamespaces.Cimv2, "Win32_PnPEntity", []),
        new(CimNamespaces.Cimv2, "Win32_OperatingSystem", []),
    ];

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
            case EmulatedFaultKind.Fail when operation is "Query" or "GetInstance" or "GetAssociated" or "GetReferences" or "ModifyInstance" or "GetClass":
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
                _ when Is(className, HyperVClasses.GpuPartitionSettingData) => [Template(TemplateId), Template(MinimumTemplateId), .. _cluster.NodeVms(_node).Where(v => v.Adapter is not null).Select(v => AdapterInstance(v, v.Adapter!))],
                _ when Is(className, HyperVClasses.ResourcePool) => [PoolInstance()],
                _ when Is(className, HyperVClasses.AllocationCapabilities) => [CapabilitiesInstance()],
                _ when Is(className, HyperVClasses.SettingsDefineCapabilities) => DefineCapabilities(),
                _ when Is(className, HyperVClasses.GpuPartition) => _cluster.NodeVms(_node).Where(v => v.Adapter?.Gpu is not null).Select(PartitionInstance),
                _ when Is(className, HyperVClasses.ManagementService) => [ServiceInstance()],
                _ when Is(className, HyperVClasses.ShutdownComponent) => _cluster.NodeVms(_node).Where(v => v.ShutdownIntegration && v.EnabledState is 2 or 4).Select(ShutdownInstance),
                _ when Is(className, HyperVClasses.ConcreteJob) => _cluster.Jobs.Select(JobInstance),
                _ when Is(className, IovSupportReader.CapabilitiesClass) => IovCapabilities(),
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
                _ when Is(className, ClusterGroups.GroupClass) => _cluster.AllVms.Where(v => v.Clustered).Select(GroupInstance),
                _ when Is(className, ClusterGroups.NodeClass) => _cluster.Nodes.Select(NodeInstance),
                _ => throw UnknownClass(ns, className),
            };
        }

        if (Is(ns, CimNamespaces.Cimv2))
        {
            return className switch
            {
                _ when Is(className, "Win32_PnPEntity") => [
                    .. _cluster.NodeGpus(_node).Where(g => g.Capture is null || g.Capture.PnpName is not null).Select(PnpInstance),
                    .. (Captured?.DisplayDevices ?? []).Select(CapturedPnpInstance),
                    .. BmcVga()],
                _ when Is(className, DisplayDrivers.ClassName) => [
                    .. _cluster.NodeGpus(_node).Select(DriverInstance),
                    .. BmcVgaDriver(),
                    .. (Captured?.DisplayDevices ?? []).Where(d => d.DriverVersion is not null || d.DriverProvider is not null).Select(CapturedDriverInstance)],
                _ when Is(className, OperatingSystemReader.ClassName) => [OperatingSystemInstance()],
                _ => throw UnknownClass(ns, className),
            };
        }

        throw new CimException(CimErrors.InvalidNamespace, $"The emulator models no namespace {ns}.");
    }

    private CimException UnknownClass(string ns, string className)
        => new(CimErrors.InvalidClass, $"The emulator models no class {className} in {ns}.");

    private CimInstance Make(string ns, string className, string[] keys, params (string Name, CimValue? Value)[] properties)
        => Make(ns, className, keys, new Dictionary<string, CimType>(), properties);

    /// <summary>An instance with every property's declared type, as MI reports them; <paramref name="nullTypes"/> types the NULLs.</summary>
    private CimInstance Make(string ns, string className, string[] keys, Dictionary<string, CimType> nullTypes, params (string Name, CimValue? Value)[] properties)
        => new(
            ns,
            className,
            properties.Select(p => new KeyValuePair<string, CimValue?>(p.Name, p.Value)),
            keys,
            _node,
            properties.Select(p => new KeyValuePair<string, CimType>(p.Name, p.Value?.Type ?? nullTypes.GetValueOrDefault(p.Name, CimType.String))));

    private static CimValue.Text Text(string value) => new(value);

    private static CimValue.UInt64 U64(ulong value) => new(value);

    /// <summary>
    /// A server GPU-P GPU: memory in bytes, each partition's Min = Max = Optimal = total / count (an even split; the
    /// real driver keeps some memory back — Azure Local shows 3648 MB per partition of an A2 at count 4), and
    /// Available* dropping only for partitions of running VMs ("changes as vGPUs start and stop running",
    /// DXGK_VGPU_PROFILE_CAPABILITY; audit E3, E4).
    /// </summary>
    private CimInstance GpuInstance(EmulatedGpu gpu)
    {
        var running = (ulong)_cluster.RunningOn(gpu);
        var count = (ulong)Math.Max(gpu.PartitionCount, 1);
        var properties = new List<(string, CimValue?)>
        {
            ("CreationClassName", Text(HyperVClasses.PartitionableGpu)),
            ("Name", Text(gpu.InstancePath)),
            ("ValidPartitionCounts", new CimValue.UInt16Array([.. gpu.ValidCounts.Select(c => (ushort)c)])),
            ("PartitionCount", new CimValue.UInt16((ushort)gpu.PartitionCount)),
        };
        if (gpu.Capture is { } captured)
        {
            // The values as read on the host; Available* moves by one minimum partition per running VM more or fewer
            // than at capture time (the same rule as below, anchored on what the host reported).
            foreach (var (name, _) in Resources)
            {
                foreach (var prefix in new[] { "Total", "MinPartition", "MaxPartition", "OptimalPartition" })
                {
                    properties.Add(($"{prefix}{name}", captured.Values.TryGetValue($"{prefix}{name}", out var v) ? U64(v) : null));
                }

                if (captured.Values.TryGetValue($"Available{name}", out var available))
                {
                    var step = (decimal)captured.Values.GetValueOrDefault($"MinPartition{name}");
                    var moved = (decimal)available - (step * (_cluster.RunningOn(gpu) - captured.RunningPartitions));
                    properties.Add(($"Available{name}", U64((ulong)Math.Clamp(moved, 0, captured.Values.GetValueOrDefault($"Total{name}", ulong.MaxValue)))));
                }
                else
                {
                    properties.Add(($"Available{name}", null));
                }
            }

            var types = properties.Where(p => p.Item2 is null).ToDictionary(p => p.Item1, _ => CimType.UInt64);
            return Make(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, ["CreationClassName", "Name"], types, [.. properties]);
        }

        foreach (var (name, unitTotal) in Resources)
        {
            var total = name == "VRAM" ? gpu.VramBytes : unitTotal;
            var per = total / count;
            properties.Add(($"Total{name}", U64(total)));
            properties.Add(($"Available{name}", U64(total - (per * Math.Min(running, count)))));
            properties.Add(($"MinPartition{name}", U64(per)));
            properties.Add(($"MaxPartition{name}", U64(per)));
            properties.Add(($"OptimalPartition{name}", U64(per)));
        }

        return Make(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, ["CreationClassName", "Name"], [.. properties]);
    }

    private CimInstance HostSystem()
        => Make(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["CreationClassName", "Name"], new Dictionary<string, CimType> { ["InstallDate"] = CimType.DateTime },
            ("CreationClassName", Text(HyperVClasses.ComputerSystem)), ("Name", Text(_node)), ("ElementName", Text(_node)),
            ("Caption", Text(Captured?.HostCaption ?? (German ? "Hostcomputersystem" : "Hosting Computer System"))), ("EnabledState", new CimValue.UInt16(2)),
            ("InstallDate", null));

    private CimInstance VmInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["CreationClassName", "Name"],
            ("CreationClassName", Text(HyperVClasses.ComputerSystem)), ("Name", Text(vm.GuidText)), ("ElementName", Text(vm.Name)),
            ("Caption", Text(Captured?.VmCaption ?? (German ? "Virtueller Computer" : "Virtual Machine"))), ("EnabledState", new CimValue.UInt16(vm.EnabledState)),
            ("InstallDate", new CimValue.DateTime(new DateTimeOffset(2026, 1, 5, 9, 30, 0, TimeSpan.Zero))));

    private bool German => _cluster.Language(_node).StartsWith("de", StringComparison.OrdinalIgnoreCase);

    private NodeCapture? Captured => _cluster.Capture(_node);

    private CimInstance SettingsInstance(EmulatedVm vm)
        => Make(CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingData, ["InstanceID"],
            ("InstanceID", Text($"Microsoft:{vm.GuidText}")), ("VirtualSystemIdentifier", Text(vm.GuidText)),
            ("VirtualSystemType", Text(HyperVClasses.RealizedSystemType)), ("ElementName", Text(vm.Name)),
            ("Notes", new CimValue.TextArray(vm.Notes is null ? [] : [vm.Notes])),
            ("GuestControlledCacheTypes", new CimValue.Boolean(vm.GuestControlledCacheTypes)),
            ("LowMmioGapSize", U64(vm.LowMmioGapSize)), ("HighMmioGapSize", U64(vm.HighMmioGapSize)));

    /// <summary>
    /// A GPU partition settings template (Default or Minimum). Its twelve values are NULL, as on a real host (audit E5),
    /// and HostResource is a NULL string array.
    /// </summary>
    private CimInstance Template(string instanceId)
        => Adapter(
            instanceId,
            null,
            instanceId == TemplateId && Captured is { } captured
                ? captured.TemplateValues.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.Value, StringComparer.OrdinalIgnoreCase)
                : new Dictionary<string, ulong>());

    private CimInstance Adapter(string instanceId, string? hostResource, Dictionary<string, ulong> values)
    {
        var types = HyperVClasses.PartitionValueProperties.ToDictionary(n => n, _ => CimType.UInt64, StringComparer.OrdinalIgnoreCase);
        types["HostResource"] = CimType.StringArray;
        types["Address"] = CimType.String;
        var properties = new List<(string, CimValue?)>
        {
            ("InstanceID", Text(instanceId)),
            ("ResourceType", new CimValue.UInt16(HyperVClasses.GpuPartitionResourceType)),
            ("ResourceSubType", Text(HyperVClasses.GpuPartitionSubType)),
            ("ElementName", Text("GPU Partition")),
            ("Address", null),
            ("HostResource", hostResource is null ? null : new CimValue.TextArray([hostResource])),
        };
        properties.AddRange(HyperVClasses.PartitionValueProperties.Select(n => (n, values.TryGetValue(n, out var v) ? (CimValue?)U64(v) : null)));
        return Make(CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, ["InstanceID"], types, [.. properties]);
    }

    private CimInstance PoolInstance()
        => Make(CimNamespaces.Virtualization, HyperVClasses.ResourcePool, ["InstanceID"],
            ("InstanceID", Text(PoolId)), ("ResourceType", new CimValue.UInt16(HyperVClasses.GpuPartitionResourceType)),
            ("ResourceSubType", Text(HyperVClasses.GpuPartitionSubType)), ("Primordial", new CimValue.Boolean(true)), ("PoolID", Text(string.Empty)));

    private CimInstance CapabilitiesInstance()
        => Make(CimNamespaces.Virtualization, HyperVClasses.AllocationCapabilities, ["InstanceID"],
            ("InstanceID", Text(CapabilitiesId)), ("ResourceType", new CimValue.UInt16(HyperVClasses.GpuPartitionResourceType)),
            ("ResourceSubType", Text(HyperVClasses.GpuPartitionSubType)));

    /// <summary>
    /// Msvm_SettingsDefineCapabilities from the capabilities to each template: ValueRole 0 / ValueRange 0 is the
    /// Default, ValueRole 3 / ValueRange 1 the Minimum (CIM_SettingsDefineCapabilities; Microsoft's sample
    /// WmiUtilities.GetDefaultObjectFromResourcePool takes ValueRole 0).
    /// </summary>
    private IEnumerable<CimInstance> DefineCapabilities()
    {
        var capabilities = CapabilitiesInstance().Path;
        foreach (var (id, role, range) in new[] { (MinimumTemplateId, (ushort)3, (ushort)1), (TemplateId, (ushort)0, (ushort)0) })
        {
            yield return Make(CimNamespaces.Virtualization, HyperVClasses.SettingsDefineCapabilities, ["GroupComponent", "PartComponent"],
                ("GroupComponent", new CimValue.Reference(capabilities)), ("PartComponent", new CimValue.Reference(Template(id).Path)),
                ("ValueRole", new CimValue.UInt16(role)), ("ValueRange", new CimValue.UInt16(range)));
        }
    }

    private CimInstance AdapterInstance(EmulatedVm vm, EmulatedAdapter adapter)
    {
        _ = vm;
        return Adapter(adapter.AdapterId, adapter.RequestedGpuPath, adapter.Values);
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
            ("Name", Text(ResourceNameOf(vm))), ("Type", Text(ClusterResources.VirtualMachineType)), ("OwnerGroup", Text(vm.OwnerGroup ?? vm.Name)),
            ("OwnerNode", Text(vm.Node)), ("State", new CimValue.UInt32(vm.EnabledState == 2 ? ClusterVmResource.Online : 3)),
            ("PrivateProperties", new CimValue.Instance(privateProperties)));
    }

    /// <summary>
    /// MSCluster_ResourceGroup of a clustered VM: Name (key, the group's name), OwnerNode, State (uint32,
    /// CLUSTER_GROUP_STATE as ClusResGroup.State numbers it: 0 online, 1 offline).
    /// </summary>
    private CimInstance GroupInstance(EmulatedVm vm)
        => Make(CimNamespaces.Cluster, ClusterGroups.GroupClass, ["Name"],
            ("Name", Text(GroupNameOf(vm))), ("OwnerNode", Text(vm.Node)), ("State", new CimValue.UInt32(vm.EnabledState == 2 ? 0u : 1u)));

    /// <summary>MSCluster_Node: Name (key) and State (uint32, CLUSTER_NODE_STATE: 0 up, 1 down, 2 paused, 3 joining).</summary>
    private CimInstance NodeInstance(string node)
        => Make(CimNamespaces.Cluster, ClusterGroups.NodeClass, ["Name"],
            ("Name", Text(node)), ("State", new CimValue.UInt32((uint)_cluster.NodeState(node))));

    private static string GroupNameOf(EmulatedVm vm) => vm.OwnerGroup ?? vm.Name;

    private EmulatedVm GroupVm(CimInstance group)
        => _cluster.AllVms.FirstOrDefault(v => v.Clustered && GroupNameOf(v) == group.RequireString("Name"))
            ?? throw new CimException(CimErrors.Failed, $"The cluster group '{group.RequireString("Name")}' was not found.", ClusterWin32Errors.GroupNotFound);

    /// <summary>
    /// MoveToNewNode(NodeName, TimeOut) and MoveToNewNodeParams(NodeName, uint8[] Parameters, uint32 Flags)
    /// (learn.microsoft.com/previous-versions/windows/desktop/cluswmi/mscluster-resourcegroup-movetonewnode and
    /// -movetonewnodeparams). Both are void: a refusal is an error carrying the Win32 code, as the real provider
    /// reports it in MSFT_WmiError.error_Code. Parameters must be a well-formed property list naming "Virtual Machine"
    /// (or "Virtual Machine Configuration") with a VM_RESDLL_CONTEXT 0–4; Flags only the documented CLUSAPI_GROUP_MOVE_* bits.
    /// </summary>
    private CimMethodResult MoveGroup(CimInstance group, Dictionary<string, CimValue?> parameters, bool withParams)
    {
        var vm = GroupVm(group);
        if (parameters.GetValueOrDefault("NodeName") is not CimValue.Text { Value.Length: > 0 } node)
        {
            // NULL means "any node" in the documents; the agent always names one, so the emulator does not choose.
            throw new CimException(CimErrors.InvalidParameter, "MoveToNewNode without a NodeName is not modelled.", ClusterWin32Errors.InvalidParameter);
        }

        uint? context = null;
        if (withParams)
        {
            if (parameters.GetValueOrDefault("Parameters") is not CimValue.UInt8Array list
                || ClusterPropertyList.ReadDword(list.Value) is not { } property
                || property.Name is not (ClusterPropertyList.VirtualMachineProperty or "Virtual Machine Configuration")
                || property.Value > ClusterPropertyList.ContextLiveMigration)
            {
                throw new CimException(CimErrors.InvalidParameter, "MoveToNewNodeParams: Parameters is not a property list with a \"Virtual Machine\" VM_RESDLL_CONTEXT (0-4).", ClusterWin32Errors.InvalidParameter);
            }

            if (parameters.GetValueOrDefault("Flags") is CimValue.UInt32 { Value: var flags } && (flags & ~0x1Fu) != 0)
            {
                throw new CimException(CimErrors.InvalidParameter, $"MoveToNewNodeParams: Flags 0x{flags:X} has undocumented bits.", ClusterWin32Errors.InvalidParameter);
            }

            context = property.Value;
        }

        _cluster.MoveGroup(vm, node.Value, context);
        return Return(Completed);
    }

    /// <summary>MSCluster_ResourceGroup.BringOnline(TimeOut): void; the group's VM starts on its owner node.</summary>
    private CimMethodResult BringOnline(CimInstance group)
    {
        _cluster.BringGroupOnline(GroupVm(group));
        return Return(Completed);
    }

    /// <summary>
    /// Win32_OperatingSystem: BuildNumber and Caption strings, OperatingSystemSKU uint32 (CIMWin32 win32-operatingsystem).
    /// The "Name" key is the real provider's "caption|windows dir|boot partition" form.
    /// </summary>
    private CimInstance OperatingSystemInstance()
    {
        var description = _cluster.Description(_node);
        var caption = Captured?.OsCaption ?? description.OsCaption;
        return Make(CimNamespaces.Cimv2, OperatingSystemReader.ClassName, ["Name"], new Dictionary<string, CimType> { ["OperatingSystemSKU"] = CimType.UInt32 },
            ("Name", Text($@"{caption}|C:\Windows|\Device\Harddisk0\Partition2")), ("Caption", Text(caption)),
            ("BuildNumber", Text(_cluster.OsBuild(_node))), ("OperatingSystemSKU", description.OsSku is { } sku ? new CimValue.UInt32((uint)sku) : null));
    }

    /// <summary>
    /// The switch service's capabilities with the platform's IOVSupport (boolean) and IOVSupportReasons (string[])
    /// (hyperv_v2 msvm-virtualethernetswitchmanagementcapabilities); none when the description says null.
    /// </summary>
    private IEnumerable<CimInstance> IovCapabilities()
    {
        var description = _cluster.Description(_node);
        if (description.IovSupport is not { } supported)
        {
            return [];
        }

        var reasons = description.IovSupportReasons ?? [];
        return [Make(CimNamespaces.Virtualization, IovSupportReader.CapabilitiesClass, ["InstanceID"], new Dictionary<string, CimType> { ["IOVSupportReasons"] = CimType.StringArray },
            ("InstanceID", Text("Microsoft:Msvm_VirtualEthernetSwitchManagementCapabilities")),
            ("ElementName", Text("Hyper-V Virtual Ethernet Switch Management Service Capabilities")),
            ("IOVSupport", new CimValue.Boolean(supported)),
            ("IOVSupportReasons", reasons.Count == 0 ? null : new CimValue.TextArray(reasons)))];
    }

    /// <summary>
    /// The GPU's Win32_PnPSignedDriver. A device whose drivers are not installed (ConfigManagerErrorCode 28,
    /// Win32_PnPEntity) is listed with no version. Location is the "PCI bus b, device d, function f" text.
    /// </summary>
    private CimInstance DriverInstance(EmulatedGpu gpu)
    {
        var id = GpuDeviceIds.FromInstancePath(gpu.InstancePath) ?? gpu.InstancePath;
        var installed = gpu.PnpErrorCode != 28;
        return Make(CimNamespaces.Cimv2, DisplayDrivers.ClassName, [], new Dictionary<string, CimType> { ["DriverVersion"] = CimType.String, ["DriverProviderName"] = CimType.String },
            ("DeviceID", Text(id)), ("DeviceClass", Text(DisplayDrivers.DisplayDeviceClass)),
            ("DeviceName", Text(installed ? gpu.Model.Name : "3D Video Controller")),
            ("DriverVersion", installed ? Text(gpu.DriverVersion) : null), ("DriverProviderName", installed ? Text(gpu.Capture?.DriverProvider ?? gpu.Model.Vendor) : null),
            ("Location", Text(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PCI bus {gpu.PciBus}, device 0, function 0"))));
    }

    /// <summary>A BMC's VGA function: PCI vendor 1A03 (ASPEED), device 2000 "ASPEED Graphics Family" (pci-ids.ucw.cz/read/PC/1a03).</summary>
    private IEnumerable<CimInstance> BmcVga()
    {
        if (_cluster.Description(_node).BmcVga is not { } name)
        {
            return [];
        }

        return [Make(CimNamespaces.Cimv2, "Win32_PnPEntity", ["DeviceID"],
            ("DeviceID", Text(BmcVgaId)), ("PNPDeviceID", Text(BmcVgaId)), ("Name", Text(name)), ("Manufacturer", Text("ASPEED Technology, Inc.")),
            ("Status", Text("OK")), ("ConfigManagerErrorCode", new CimValue.UInt32(0)), ("ClassGuid", Text(DisplayDevices.DisplayClassGuid)))];
    }

    private IEnumerable<CimInstance> BmcVgaDriver()
        => _cluster.Description(_node).BmcVga is { } name
            ? [Make(CimNamespaces.Cimv2, DisplayDrivers.ClassName, [],
                ("DeviceID", Text(BmcVgaId)), ("DeviceClass", Text(DisplayDrivers.DisplayDeviceClass)), ("DeviceName", Text(name)),
                ("DriverVersion", Text("1.13.4.0")), ("DriverProviderName", Text("ASPEED Technology, Inc.")), ("Location", Text("PCI bus 3, device 0, function 0")))]
            : [];

    private CimInstance PnpInstance(EmulatedGpu gpu)
    {
        var id = GpuDeviceIds.FromInstancePath(gpu.InstancePath) ?? gpu.InstancePath;
        return Make(CimNamespaces.Cimv2, "Win32_PnPEntity", ["DeviceID"],
            ("DeviceID", Text(id)), ("PNPDeviceID", Text(id)),
            ("Name", Text(gpu.Capture?.PnpName ?? (gpu.PnpErrorCode == 0 ? gpu.Model.Name : "3D Video Controller"))),
            ("Manufacturer", gpu.Capture is { } c ? (c.PnpManufacturer is null ? null : Text(c.PnpManufacturer)) : Text(gpu.PnpErrorCode == 0 ? gpu.Model.Vendor : "(Standard display types)")),
            ("Status", Text(gpu.PnpStatus)), ("ConfigManagerErrorCode", new CimValue.UInt32((uint)gpu.PnpErrorCode)),
            ("ClassGuid", Text(DisplayDevices.DisplayClassGuid)));
    }

    private CimInstance CapturedPnpInstance(DisplayDeviceCapture device)
        => Make(CimNamespaces.Cimv2, "Win32_PnPEntity", ["DeviceID"], new Dictionary<string, CimType> { ["Manufacturer"] = CimType.String },
            ("DeviceID", Text(device.DeviceId)), ("PNPDeviceID", Text(device.DeviceId)), ("Name", Text(device.Name)),
            ("Manufacturer", device.Manufacturer is null ? null : Text(device.Manufacturer)),
            ("Status", Text(device.Status)), ("ConfigManagerErrorCode", new CimValue.UInt32((uint)device.ConfigManagerErrorCode)),
            ("ClassGuid", Text(DisplayDevices.DisplayClassGuid)));

    private CimInstance CapturedDriverInstance(DisplayDeviceCapture device)
        => Make(CimNamespaces.Cimv2, DisplayDrivers.ClassName, [], new Dictionary<string, CimType> { ["DriverVersion"] = CimType.String, ["DriverProviderName"] = CimType.String, ["Location"] = CimType.String },
            ("DeviceID", Text(device.DeviceId)), ("DeviceClass", Text(DisplayDrivers.DisplayDeviceClass)), ("DeviceName", Text(device.Name)),
            ("DriverVersion", device.DriverVersion is null ? null : Text(device.DriverVersion)),
            ("DriverProviderName", device.DriverProvider is null ? null : Text(device.DriverProvider)),
            ("Location", device.DriverLocation is null ? null : Text(device.DriverLocation)));

    /// <summary>A VM's cluster resource is conventionally "Virtual Machine &lt;name&gt;" in a group named after it (audit E19); a capture keeps what the host had.</summary>
    private static string ResourceNameOf(EmulatedVm vm) => vm.ResourceName ?? $"Virtual Machine {vm.Name}";

    private EmulatedVm? VmOfSettings(string? instanceId)
        => _cluster.NodeVms(_node).FirstOrDefault(v => string.Equals($"Microsoft:{v.GuidText}", instanceId, StringComparison.OrdinalIgnoreCase));

    private EmulatedVm? VmOfAdapter(string? adapterId)
        => _cluster.NodeVms(_node).FirstOrDefault(v => v.Adapter is { } a && string.Equals(a.AdapterId, adapterId, StringComparison.OrdinalIgnoreCase));

    private void ModifyGpu(CimInstance current, CimInstance requested)
    {
        // PartitionCount is the class's only writable property (Msvm_PartitionableGpu, audit row 6); a write that
        // carries any other non-key property is refused, even unchanged, which is stricter than the documents say
        // and keeps writes to what Microsoft's client sends (audit row 9).
        foreach (var (name, value) in requested.Properties)
        {
            var key = current.KeyNames.Contains(name, StringComparer.OrdinalIgnoreCase);
            if (key ? !Equals(current.Get(name), value) : !Is(name, "PartitionCount"))
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

    private void ModifyClusterResource(CimInstance current, CimInstance requested)
    {
        var name = requested.RequireString("Name");
        var vm = _cluster.AllVms.FirstOrDefault(v => v.Clustered && ResourceNameOf(v) == name)
            ?? throw new CimException(CimErrors.NotFound, $"No cluster resource '{name}'.");
        foreach (var property in requested.Properties.Keys.Where(p => !Is(p, "Name") && !Is(p, "PrivateProperties")))
        {
            // Type, OwnerGroup, OwnerNode, State are the cluster's to change (MSCluster_Resource); only the changed
            // PrivateProperties go back, as Microsoft's client sends them (audit row 48).
            throw new CimException(CimErrors.InvalidParameter, $"{ClusterResources.ResourceClass}.{property} can't be written here.", InvalidParameter);
        }

        var privateProperties = requested.GetInstance("PrivateProperties")
            ?? throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': PrivateProperties is missing.");
        var currentPrivate = current.GetInstance("PrivateProperties")!;
        if (privateProperties.GetString("VmID") is { } vmId && !string.Equals(vmId, currentPrivate.GetString("VmID"), StringComparison.OrdinalIgnoreCase))
        {
            throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': VmID is read-only.", 87);
        }

        var action = privateProperties.GetUnsigned("OfflineAction")
            ?? throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': PrivateProperties.OfflineAction is missing.");
        if (action > 3)
        {
            throw new CimException(CimErrors.InvalidParameter, $"Cluster resource '{name}': OfflineAction {action} is outside 0..3.", 87);
        }

        vm.OfflineAction = (Contracts.Inventory.OfflineAction)action;
        if (vm.EnabledState == 2)
        {
            const string Stored = "were stored but take effect when the resource is next brought online";
            throw _cluster.PropertiesStoredAs switch
            {
                PropertiesStoredSurface.HResult => new CimException(CimErrors.Failed, $"The properties of '{name}' {Stored} (0x800713A0).", ResourcePropertiesStored.HResult),
                PropertiesStoredSurface.GenericFailure => new CimException(CimErrors.Failed, $"Generic failure writing '{name}'.", 0x80041001),
                _ => new CimException(CimErrors.PropertiesStored, $"The properties of '{name}' {Stored}.", ResourcePropertiesStored.Win32Code),
            };
        }
    }

    /// <summary>
    /// Whether every property of an embedded GPU partition setting carries the type the class declares: a NULL
    /// uint64 sent as TYPE="string" is a different instance to WMI (audit row 23). Stricter than the documents,
    /// which don't say how Hyper-V answers a mistyped property.
    /// </summary>
    private bool TypedAsDeclared(CimInstance settings)
    {
        var declared = Template(TemplateId);
        return settings.Properties.Keys.All(name => !declared.Has(name) || settings.TypeOf(name) == declared.TypeOf(name));
    }

    private CimMethodResult Job(string method, string className, Func<(uint ErrorCode, string Description)?> effect, params (string Name, CimValue? Value)[] outs)
    {
        var fault = _cluster.Faults.Take(
            _node, method, className, k => k is EmulatedFaultKind.FailJob or EmulatedFaultKind.HangJob or EmulatedFaultKind.SlowJob or EmulatedFaultKind.WarnJob or EmulatedFaultKind.ServiceJob);
        var job = _cluster.StartJob(
            fault?.Kind is EmulatedFaultKind.SlowJob or EmulatedFaultKind.ServiceJob ? fault.Delay : TimeSpan.Zero,
            fault?.Kind == EmulatedFaultKind.HangJob,
            fault?.Kind == EmulatedFaultKind.FailJob ? () => (fault.JobErrorCode, fault.Description) : effect,
            fault);
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

        if (!TypedAsDeclared(settings))
        {
            return Return(InvalidParameter);
        }

        if (vm.EnabledState != 3)
        {
            return Return(InvalidState);
        }

        if (HyperVClasses.PartitionValueProperties.Any(n => settings.Get(n) is not null))
        {
            // Real host: the add's job fails with 32773 when the twelve values come with it (audit E6).
            return Job("AddResourceSettings", HyperVClasses.ManagementService, () => (ValuesAtAdd, $"{FailedToAdd} Sizes can't be set when the GPU partition is added."));
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
            || VmOfAdapter(settings.GetString("InstanceID")) is not { } vm
            || !TypedAsDeclared(settings))
        {
            return Return(InvalidParameter);
        }

        if (vm.EnabledState != 3)
        {
            return Return(InvalidState);
        }

        return Job("ModifyResourceSettings", HyperVClasses.ManagementService, () =>
        {
            if (HyperVClasses.PartitionValueProperties.Any(n => settings.GetUnsigned(n) == 0))
            {
                // The real-host test warns never to write 0; what Hyper-V does with it is not public, so refuse it.
                return (ValuesAtAdd, "A GPU partition value of 0 is not accepted.");
            }

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

    /// <summary>
    /// Msvm_ComputerSystem.RequestStateChange: 0, 4096, or the documented 32768–32778 codes (32770 not supported,
    /// 32773 invalid parameter, 32775 invalid state); never the VSMS codes 1 or 4 (audit E14).
    /// </summary>
    private CimMethodResult RequestStateChange(CimInstance instance, Dictionary<string, CimValue?> parameters)
    {
        if (!Guid.TryParse(instance.GetString("Name"), out var id) || _cluster.NodeVms(_node).FirstOrDefault(v => v.Id == id) is not { } vm)
        {
            return Return(StateChangeInvalidParameter);
        }

        var requested = parameters.GetValueOrDefault("RequestedState") is CimValue v ? (v as CimValue.UInt16)?.Value : null;
        switch (requested)
        {
            case 2 when vm.EnabledState is 3 or 6 or 9 or 32768 or 32769 && vm.Adapter is { Gpu: null } adapter
                && _cluster.AllocatePartition(vm, adapter, adapter.RequestedGpuPath) is { } error:
                // A VM moved while off holds no partition on its new node until it starts; without one it can't run.
                // The job's error code for this is not documented: a generic job failure.
                return Job("RequestStateChange", HyperVClasses.ComputerSystem, () => (32768, $"'{vm.Name}' could not start: {error}"));
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
                return Return(StateChangeNotSupported);
            case 2 or 3 or 6:
                return Return(InvalidStateForOperation);
            default:
                return Return(StateChangeInvalidParameter);
        }
    }

    /// <summary>Msvm_ShutdownComponent.InitiateShutdown: 0, 4096 or the documented 32768–32782 codes (audit E14).</summary>
    private CimMethodResult InitiateShutdown(CimInstance instance)
    {
        if (!Guid.TryParse(instance.GetString("SystemName"), out var id) || _cluster.NodeVms(_node).FirstOrDefault(v => v.Id == id) is not { } vm)
        {
            return Return(StateChangeInvalidParameter);
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
