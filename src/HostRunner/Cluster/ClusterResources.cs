using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Cluster;

/// <summary>The failover cluster's view of VMs (root\MSCluster): whether a VM is clustered and its OfflineAction.</summary>
public sealed partial class ClusterResources(ICimClient cim, ILogger<ClusterResources> logger)
{
    public const string ResourceClass = "MSCluster_Resource";
    public const string ClusterClass = "MSCluster_Cluster";
    public const string VirtualMachineType = "Virtual Machine";

    /// <summary>Whether this node is in a failover cluster at all (the MSCluster namespace exists and names a cluster).</summary>
    public async Task<bool> IsNodeClusteredAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await cim.QueryAsync(CimNamespaces.Cluster, Wql.Select(ClusterClass), cancellationToken)).Count > 0;
        }
        catch (CimException e) when (e.Code is CimErrors.InvalidNamespace or CimErrors.InvalidClass)
        {
            return false;
        }
    }

    /// <summary>Whether the VM is a clustered role (has a "Virtual Machine" resource).</summary>
    public async Task<bool> IsVmClusteredAsync(Guid vmId, string vmName, CancellationToken cancellationToken)
        => await FindVmResourceAsync(vmId, vmName, cancellationToken) is not null;

    /// <summary>
    /// The VM's "Virtual Machine" resource, or null when the VM is not clustered. Looked up by type and owner group
    /// (the group is normally named after the VM) and confirmed by PrivateProperties.VmID, falling back to a scan of
    /// every VM resource by VmID when the group was renamed.
    /// </summary>
    public async Task<ClusterVmResource?> FindVmResourceAsync(Guid vmId, string vmName, CancellationToken cancellationToken)
    {
        try
        {
            var byGroup = await cim.QueryAsync(
                CimNamespaces.Cluster,
                Wql.Select(ResourceClass, Wql.Equal("Type", VirtualMachineType), Wql.Equal("OwnerGroup", vmName)),
                cancellationToken);
            var match = byGroup.FirstOrDefault(r => HoldsVm(r, vmId));
            if (match is null)
            {
                var all = await QueryVmResourcesAsync(cancellationToken);
                match = all.FirstOrDefault(r => HoldsVm(r, vmId));
            }

            return match is null ? null : ToResource(match);
        }
        catch (CimException e) when (e.Code is CimErrors.InvalidNamespace or CimErrors.InvalidClass)
        {
            return null;
        }
    }

    /// <summary>
    /// Every "Virtual Machine" resource of the cluster in one query, keyed by PrivateProperties.VmID (resources
    /// without a readable VmID are left out; of two with the same VmID the first is kept). Empty when the node has
    /// no cluster namespace or class.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, ClusterVmResource>> ListVmResourcesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var resources = new Dictionary<Guid, ClusterVmResource>();
            foreach (var r in await QueryVmResourcesAsync(cancellationToken))
            {
                if (VmIdOf(r) is { } id && !resources.ContainsKey(id))
                {
                    resources[id] = ToResource(r);
                }
            }

            return resources;
        }
        catch (CimException e) when (e.Code is CimErrors.InvalidNamespace or CimErrors.InvalidClass)
        {
            return new Dictionary<Guid, ClusterVmResource>();
        }
    }

    /// <summary>
    /// Ensures the VM's resource has <paramref name="action"/> as OfflineAction; returns whether it changed.
    /// "Properties stored" (0x13A0, the resource is online and takes the value at its next offline) is success.
    /// </summary>
    public async Task<bool> SetOfflineActionAsync(Guid vmId, string vmName, OfflineAction action, CancellationToken cancellationToken)
    {
        RequireDefined(action);
        var resource = await FindVmResourceAsync(vmId, vmName, cancellationToken)
            ?? throw new CimException(CimErrors.ClusterResourceNotFound, $"VM '{vmName}' ({vmId}) has no \"Virtual Machine\" cluster resource: it is not clustered.");
        return await SetOfflineActionAsync(resource, action, cancellationToken);
    }

    /// <summary>
    /// Ensures <paramref name="resource"/>, already looked up by the caller, has <paramref name="action"/> as
    /// OfflineAction; returns whether it changed. "Properties stored" is success, as above.
    /// </summary>
    public async Task<bool> SetOfflineActionAsync(ClusterVmResource resource, OfflineAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        RequireDefined(action);
        if (resource.OfflineAction == action)
        {
            return false;
        }

        // The resource as read with only PrivateProperties.OfflineAction changed, as Microsoft's client writes it
        // (MSClusterResourceView.SetInternalProperty; fidelity audit row 48); ForModify sends just that property.
        var instance = await cim.GetInstanceAsync(resource.Path, cancellationToken);
        var properties = instance.GetInstance("PrivateProperties")
            ?? throw new CimException(CimErrors.MissingProperty, $"Cluster resource '{resource.Name}' has no PrivateProperties.");
        var changed = instance.With("PrivateProperties", new CimValue.Instance(properties.With("OfflineAction", new CimValue.UInt32((uint)action))));
        try
        {
            await cim.ModifyInstanceAsync(changed, cancellationToken);
        }
        catch (CimException e) when (e.Code == CimErrors.PropertiesStored || ResourcePropertiesStored.Is(e.NativeCode))
        {
            LogPropertiesStored(resource.Name, e.NativeCode);
        }
        catch (CimException e)
        {
            // How WMI reports "properties stored" is unconfirmed (audit row 50): whatever the error, if the value now
            // holds, the write took.
            var now = await cim.GetInstanceAsync(resource.Path, cancellationToken);
            if (now.GetInstance("PrivateProperties")?.GetUnsigned("OfflineAction") != (ulong)action)
            {
                throw;
            }

            LogWriteErrorButValueHolds(resource.Name, e.Code, e.NativeCode, action);
        }

        LogOfflineActionSet(resource.Name, resource.OfflineAction, action);
        return true;
    }

    private static void RequireDefined(OfflineAction action)
    {
        if (!Enum.IsDefined(action))
        {
            throw new CimException(CimErrors.InvalidOfflineAction, $"OfflineAction {(int)action} is not one of 0 (turn off), 1 (save), 2 (shutdown), 3 (forced shutdown).");
        }
    }

    private Task<IReadOnlyList<CimInstance>> QueryVmResourcesAsync(CancellationToken cancellationToken)
        => cim.QueryAsync(CimNamespaces.Cluster, Wql.Select(ResourceClass, Wql.Equal("Type", VirtualMachineType)), cancellationToken);

    private static Guid? VmIdOf(CimInstance resource)
        => Guid.TryParse(resource.GetInstance("PrivateProperties")?.GetString("VmID"), out var id) ? id : null;

    private static bool HoldsVm(CimInstance resource, Guid vmId) => VmIdOf(resource) == vmId;

    private static ClusterVmResource ToResource(CimInstance instance)
    {
        var offline = instance.GetInstance("PrivateProperties")?.GetUnsigned("OfflineAction") ?? 1;
        return new ClusterVmResource(
            instance.RequireString("Name"),
            instance.GetString("OwnerGroup") ?? string.Empty,
            instance.GetString("OwnerNode"),
            (uint)(instance.GetUnsigned("State") ?? 0),
            offline <= 3 ? (OfflineAction)offline : OfflineAction.Save,
            instance.Path);
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Set OfflineAction of cluster resource {Resource} from {Previous} to {OfflineAction}")]
    private partial void LogOfflineActionSet(string resource, OfflineAction previous, OfflineAction offlineAction);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Cluster stored OfflineAction for online resource {Resource} (code {NativeCode}); it applies at the next offline")]
    private partial void LogPropertiesStored(string resource, uint? nativeCode);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Writing OfflineAction of cluster resource {Resource} reported {Code} ({NativeCode}), but it reads back as {OfflineAction}: taken as done")]
    private partial void LogWriteErrorButValueHolds(string resource, string code, uint? nativeCode, OfflineAction offlineAction);
}
