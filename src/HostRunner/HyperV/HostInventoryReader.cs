using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>Builds the Contracts <see cref="NodeInventory"/> of this node from Hyper-V, PnP and the cluster.</summary>
public sealed class HostInventoryReader(
    string node,
    ICimClient cim,
    VirtualMachines vms,
    GpuPartitioning gpus,
    GpuPartitionAdapters adapters,
    ClusterResources cluster,
    DisplayDevices devices,
    TimeProvider time)
{
    private long _sequence;

    /// <summary>This agent start's id, stamped on every inventory it reads (with a sequence number), so the control plane orders them without trusting the clock.</summary>
    public Guid AgentStart { get; } = Guid.NewGuid();

    public async Task<NodeInventory> ReadAsync(CancellationToken cancellationToken)
    {
        var read = await ReadFactsAsync(cancellationToken);
        return read with { AgentStart = AgentStart, Sequence = Interlocked.Increment(ref _sequence) };
    }

    private async Task<NodeInventory> ReadFactsAsync(CancellationToken cancellationToken)
    {
        var partitionable = await gpus.ListAsync(cancellationToken);
        var partitions = await gpus.ListPartitionsAsync(cancellationToken);
        var display = await devices.ListAsync(cancellationToken);
        var machines = await vms.ListAsync(cancellationToken);
        var names = machines.ToDictionary(m => m.Id, m => m.Name);

        var gpuInventory = new List<GpuInventory>();
        foreach (var gpu in partitionable)
        {
            var deviceId = GpuDeviceIds.FromInstancePath(gpu.Name);
            var device = display.FirstOrDefault(d => string.Equals(d.DeviceId, deviceId, StringComparison.OrdinalIgnoreCase));
            var held = partitions
                .Where(p => string.Equals(p.GpuInstancePath, gpu.Name, StringComparison.OrdinalIgnoreCase) && p.PartitionId is not null)
                .Select(p => new GpuPartitionAssignment(p.PartitionId!.Value, names.GetValueOrDefault(p.VmId, p.VmId.ToString()), p.VmId, p.PartitionVfLuid))
                .OrderBy(p => p.PartitionId)
                .ToList();
            gpuInventory.Add(new GpuInventory(
                gpu.Name,
                deviceId,
                device?.Manufacturer ?? "Unknown",
                device?.Name ?? "Unknown",
                MemoryMiBOf(gpu),
                device?.Status ?? "Unknown",
                device?.ConfigManagerErrorCode ?? 0,
                GpuStatusClassifier.Classify(device, gpu),
                gpu.ValidPartitionCounts,
                gpu.PartitionCount,
                gpu.Resources,
                held));
        }

        var partitionableIds = gpuInventory.Select(g => g.PnpInstanceId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var device in display.Where(d => d.IsPciDevice && !partitionableIds.Contains(d.DeviceId)))
        {
            gpuInventory.Add(new GpuInventory(
                device.DeviceId, device.DeviceId, device.Manufacturer ?? "Unknown", device.Name, null, device.Status, device.ConfigManagerErrorCode,
                GpuStatusClassifier.Classify(device, null), [], 0, null, []));
        }

        var clustered = await cluster.IsNodeClusteredAsync(cancellationToken);
        var resources = clustered && machines.Count > 0
            ? await cluster.ListVmResourcesAsync(cancellationToken)
            : null;
        // Settings and adapters of all VMs at once: a query per VM would make an inventory slow on a busy node.
        var realized = machines.Count > 0
            ? await vms.ListRealizedSettingsAsync(cancellationToken)
            : new Dictionary<Guid, CimInstance>();
        var adaptersByVm = realized.Count > 0
            ? await adapters.ListAllAsync(realized, cancellationToken)
            : new Dictionary<Guid, IReadOnlyList<GpuPartitionAdapter>>();
        var vmInventory = new List<VmInventory>();
        foreach (var vm in machines)
        {
            var settings = realized.GetValueOrDefault(vm.Id)
                ?? throw new CimException(CimErrors.VmNotFound, $"VM {vm.Id} has no realized settings on this host.");
            var vmAdapters = adaptersByVm.GetValueOrDefault(vm.Id) ?? [];
            var resource = resources?.GetValueOrDefault(vm.Id);
            var notes = settings.Get("Notes") switch
            {
                CimValue.TextArray a => string.Join(Environment.NewLine, a.Value),
                CimValue.Text t => t.Value,
                _ => null,
            };
            vmInventory.Add(new VmInventory(
                vm.Name, vm.Id, vm.PowerState, node, [.. vmAdapters.Select(a => a.ToContract())], resource is not null, resource?.OfflineAction, string.IsNullOrEmpty(notes) ? null : notes));
        }

        var osBuild = (await cim.QueryAsync(CimNamespaces.Cimv2, Wql.Select("Win32_OperatingSystem"), cancellationToken))
            .Select(o => o.GetString("BuildNumber"))
            .FirstOrDefault() ?? "unknown";

        // No WMI class reports SR-IOV/IOMMU readiness directly; a GPU listed with valid partition counts implies both.
        var gpuPReady = partitionable.Any(g => g.ValidPartitionCounts.Count > 0);
        return new NodeInventory(node, time.GetUtcNow(), new HostFacts(osBuild, gpuPReady, gpuPReady), gpuInventory, vmInventory);
    }

    /// <summary>
    /// Physical memory from TotalVRAM where the driver reports bytes (server GPU-P, DXGK_VGPU_PROFILE_CAPABILITY);
    /// null for a client GPU-PV driver's relative unit (1e9), which says nothing about memory (audit row 8, item 9).
    /// </summary>
    internal static long? MemoryMiBOf(PartitionableGpu gpu)
    {
        var total = gpu.Resources.Vram.Total;
        return total == 1_000_000_000 || total < (1UL << 30) ? null : (long)(total >> 20);
    }
}
