using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.Platform;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// Builds the Contracts <see cref="NodeInventory"/> of this node from Hyper-V, PnP, the cluster and, where installed,
/// nvidia-smi. Facts are read, not inferred: SR-IOV readiness from IOVSupport, the driver from
/// Win32_PnPSignedDriver, the OS edition from OperatingSystemSKU.
/// </summary>
public sealed partial class HostInventoryReader(
    string node,
    VirtualMachines vms,
    GpuPartitioning gpus,
    GpuPartitionAdapters adapters,
    ClusterResources cluster,
    DisplayDevices devices,
    DisplayDrivers drivers,
    IovSupportReader iov,
    OperatingSystemReader os,
    INvidiaSmi? nvidiaSmi,
    TimeProvider time,
    ILogger<HostInventoryReader> logger)
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
        var displayDrivers = await drivers.ListAsync(cancellationToken);
        var smi = await ReadNvidiaSmiAsync(cancellationToken);
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
            var driver = displayDrivers.FirstOrDefault(d => string.Equals(d.DeviceId, deviceId, StringComparison.OrdinalIgnoreCase));
            var board = NvidiaBoardOf(driver, device, smi, displayDrivers);
            gpuInventory.Add(new GpuInventory(
                gpu.Name,
                deviceId,
                device?.Manufacturer ?? "Unknown",
                device?.Name ?? "Unknown",
                MemoryMiBOf(gpu, board),
                device?.Status ?? "Unknown",
                device?.ConfigManagerErrorCode ?? 0,
                GpuStatusClassifier.Classify(device, gpu),
                gpu.ValidPartitionCounts,
                gpu.PartitionCount,
                gpu.Resources,
                held,
                DriverOf(driver, device, smi, board),
                UtilizationOf(board)));
        }

        var partitionableIds = gpuInventory.Select(g => g.PnpInstanceId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var device in display.Where(d => d.IsPciDevice && !partitionableIds.Contains(d.DeviceId)))
        {
            var driver = displayDrivers.FirstOrDefault(d => string.Equals(d.DeviceId, device.DeviceId, StringComparison.OrdinalIgnoreCase));
            var board = NvidiaBoardOf(driver, device, smi, displayDrivers);
            gpuInventory.Add(new GpuInventory(
                device.DeviceId, device.DeviceId, device.Manufacturer ?? "Unknown", device.Name, board?.MemoryMiB, device.Status, device.ConfigManagerErrorCode,
                GpuStatusClassifier.Classify(device, null), [], 0, null, [], DriverOf(driver, device, smi, board)));
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

        var system = await os.ReadAsync(cancellationToken);
        var readiness = await iov.ReadAsync(cancellationToken);

        // Agents before IOVSupport was read inferred readiness from a GPU listing valid counts; that stays the
        // fallback where the class answers nothing.
        var inferred = partitionable.Any(g => g.ValidPartitionCounts.Count > 0);
        var sriov = readiness.Supported ?? inferred;
        var facts = new HostFacts(
            system.BuildText,
            sriov,
            sriov,
            readiness.Supported,
            readiness.Reasons.Count > 0 ? readiness.Reasons : null,
            system.Caption,
            system.Sku,
            GpuPPrerequisites.Problems(system, clustered));
        return new NodeInventory(node, time.GetUtcNow(), facts, gpuInventory, vmInventory);
    }

    /// <summary>The vendor tool's view, or null when it is absent or its output unusable (logged, never fatal).</summary>
    private async Task<NvidiaSmiLog?> ReadNvidiaSmiAsync(CancellationToken cancellationToken)
    {
        if (nvidiaSmi is null)
        {
            return null;
        }

        try
        {
            return await nvidiaSmi.QueryXmlAsync(cancellationToken) is { } xml ? NvidiaSmiLog.Parse(xml) : null;
        }
        catch (NvidiaSmiException e)
        {
            LogNvidiaSmiUnusable(logger, e.Message);
            return null;
        }
    }

    /// <summary>
    /// The nvidia-smi board of a PnP device: the one at the PCI bus/device/function of the driver's Location; else,
    /// when the host has exactly one NVIDIA display device and nvidia-smi lists exactly one board, that one.
    /// </summary>
    internal static NvidiaSmiGpu? NvidiaBoardOf(PnpDriver? driver, PnpDevice? device, NvidiaSmiLog? smi, IReadOnlyList<PnpDriver> allDrivers)
    {
        if (smi is null || !IsNvidia(device))
        {
            return null;
        }

        if (DisplayDrivers.PciLocation(driver?.Location) is { } at)
        {
            return smi.Gpus.FirstOrDefault(g => g.PciBus == at.Bus && g.PciDevice == at.Device && (g.PciFunction ?? 0) == at.Function);
        }

        return smi.Gpus.Count == 1 && allDrivers.Count(d => d.DeviceId.Contains("VEN_10DE", StringComparison.OrdinalIgnoreCase)) == 1 ? smi.Gpus[0] : null;
    }

    /// <summary>The driver as read; nvidia-smi's driver version is host-wide, so it applies to every NVIDIA device.</summary>
    /// <summary>The board's load as nvidia-smi reported it; null (absent, not zero) without the tool or a matched board.</summary>
    private static GpuUtilization? UtilizationOf(NvidiaSmiGpu? board)
        => board is { GpuUtilizationPercent: var gpu, MemoryUtilizationPercent: var memory, MemoryUsedMiB: var used } && (gpu ?? memory ?? (long?)used) is not null
            ? new GpuUtilization(gpu, memory, used)
            : null;

    private static GpuDriver? DriverOf(PnpDriver? driver, PnpDevice? device, NvidiaSmiLog? smi, NvidiaSmiGpu? board)
    {
        var vendorVersion = IsNvidia(device) ? smi?.DriverVersion : null;
        return driver is null && vendorVersion is null
            ? null
            : new GpuDriver(driver?.Version, driver?.Provider, vendorVersion, board?.VirtualizationMode, board?.HostVgpuMode);
    }

    private static bool IsNvidia(PnpDevice? device) => device?.DeviceId.Contains("VEN_10DE", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// Physical memory from TotalVRAM where the driver reports bytes (server GPU-P, DXGK_VGPU_PROFILE_CAPABILITY);
    /// null for a client GPU-PV driver's relative unit (1e9), which says nothing about memory (audit row 8, item 9).
    /// </summary>
    internal static long? MemoryMiBOf(PartitionableGpu gpu, NvidiaSmiGpu? board) => MemoryMiBOf(gpu) ?? board?.MemoryMiB;

    internal static long? MemoryMiBOf(PartitionableGpu gpu)
    {
        var total = gpu.Resources.Vram.Total;
        return total == 1_000_000_000 || total < (1UL << 30) ? null : (long)(total >> 20);
    }

    [LoggerMessage(EventId = 1510, Level = LogLevel.Warning, Message = "nvidia-smi output not used: {Reason}")]
    private static partial void LogNvidiaSmiUnusable(ILogger logger, string reason);
}
