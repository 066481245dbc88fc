using System.Text.Encodings.Web;
using System.Text.Json;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// <c>HostRunner capture</c>: reads, read-only and through the same <see cref="ICimClient"/> and operations the agent
/// uses, everything the agent reads on this node (partitionable GPUs, the Default GPU partition template, VMs with
/// their GPU-P settings and adapters, cluster resources with OfflineAction, PnP display devices) and writes it as a
/// one-node <see cref="ClusterDescription"/>: the file <c>--simulate</c> and the Sandbox's <c>--cluster-file</c> load,
/// so a real host becomes an emulator fixture. Raw values keep their CIM types (uint16 counts, uint64 sizes, NULLs).
/// </summary>
public sealed class HostCapture(HyperVHost host)
{
    public async Task<ClusterDescription> ReadAsync(CancellationToken cancellationToken)
    {
        var cim = host.Cim;
        var clusterName = await host.Cluster.IsNodeClusteredAsync(cancellationToken)
            ? (await cim.QueryAsync(CimNamespaces.Cluster, Wql.Select(ClusterResources.ClusterClass), cancellationToken)).FirstOrDefault()?.GetString("Name")
            : null;
        var os = (await cim.QueryAsync(CimNamespaces.Cimv2, Wql.Select("Win32_OperatingSystem"), cancellationToken)).FirstOrDefault();
        var systems = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ComputerSystem), cancellationToken);
        var rawGpus = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.PartitionableGpu), cancellationToken);
        var partitions = await host.Gpus.ListPartitionsAsync(cancellationToken);
        var devices = await host.Devices.ListAsync(cancellationToken);
        var template = await host.Adapters.GetTemplateAsync(cancellationToken);
        var drivers = await host.Drivers.ListAsync(cancellationToken);
        var iov = await host.Iov.ReadAsync(cancellationToken);
        var smi = host.NvidiaSmi is null ? null : await host.NvidiaSmi.QueryXmlAsync(cancellationToken) is { } xml ? NvidiaSmiLog.Parse(xml) : null;
        var machines = await host.Vms.ListAsync(cancellationToken);
        var realized = await host.Vms.ListRealizedSettingsAsync(cancellationToken);
        var adapters = realized.Count > 0 ? await host.Adapters.ListAllAsync(realized, cancellationToken) : new Dictionary<Guid, IReadOnlyList<GpuPartitionAdapter>>();
        var resources = clusterName is null ? new Dictionary<Guid, ClusterVmResource>() : await host.Cluster.ListVmResourcesAsync(cancellationToken);
        // Msvm_ShutdownComponent exists only while a VM runs (audit E15): for a VM that is off it can't be read.
        var shutdown = (await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ShutdownComponent), cancellationToken))
            .Select(s => s.GetString("SystemName")).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

        var running = machines.Where(m => m.PowerState == VmPowerState.Running).Select(m => m.Id).ToHashSet();
        var gpuPaths = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var gpus = new List<GpuDescription>();
        foreach (var raw in rawGpus)
        {
            var gpu = PartitionableGpu.From(raw);
            gpuPaths.Add(GpuDeviceIds.FromInstancePath(gpu.Name) ?? gpu.Name);
            var device = devices.FirstOrDefault(d => string.Equals(d.DeviceId, GpuDeviceIds.FromInstancePath(gpu.Name), StringComparison.OrdinalIgnoreCase));
            var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var resource in new[] { "VRAM", "Encode", "Decode", "Compute" })
            {
                foreach (var prefix in new[] { "Total", "Available", "MinPartition", "MaxPartition", "OptimalPartition" })
                {
                    if (raw.GetUnsigned(prefix + resource) is { } value)
                    {
                        values[prefix + resource] = value;
                    }
                }
            }

            var driver = drivers.FirstOrDefault(d => string.Equals(d.DeviceId, GpuDeviceIds.FromInstancePath(gpu.Name), StringComparison.OrdinalIgnoreCase));
            var runningPartitions = partitions.Count(p => string.Equals(p.GpuInstancePath, gpu.Name, StringComparison.OrdinalIgnoreCase) && running.Contains(p.VmId));
            gpus.Add(new GpuDescription(
                device?.Name ?? "Unknown GPU",
                gpu.PartitionCount,
                gpu.Name,
                PnpStatus: device?.Status ?? "Unknown",
                PnpErrorCode: device?.ConfigManagerErrorCode ?? 0,
                DriverVersion: driver?.Version ?? string.Empty,
                Captured: new GpuCapture([.. raw.GetUInt16Array("ValidPartitionCounts")], values, device?.Name, device?.Manufacturer, runningPartitions, driver?.Provider)));
        }

        var vms = new List<VmDescription>();
        foreach (var vm in machines)
        {
            var settings = realized.GetValueOrDefault(vm.Id);
            var adapter = adapters.GetValueOrDefault(vm.Id)?.FirstOrDefault();
            var resource = resources.GetValueOrDefault(vm.Id);
            var system = systems.First(s => string.Equals(s.GetString("Name"), vm.Id.ToString("D"), StringComparison.OrdinalIgnoreCase));
            var notes = settings?.Get("Notes") switch
            {
                CimValue.TextArray a => string.Join(Environment.NewLine, a.Value),
                CimValue.Text t => t.Value,
                _ => null,
            };
            vms.Add(new VmDescription(
                vm.Name,
                vm.Id,
                vm.PowerState,
                ShutdownIntegration: vm.PowerState != VmPowerState.Running || shutdown.Contains(vm.Id.ToString("D")),
                Clustered: resource is not null,
                OfflineAction: resource?.OfflineAction ?? OfflineAction.Save,
                HasPartition: adapter is not null,
                GpuInstancePath: adapter?.Device?.GpuInstancePath,
                Notes: string.IsNullOrEmpty(notes) ? null : notes,
                Captured: new VmCapture(
                    (ushort)(system.GetUnsigned("EnabledState") ?? 0),
                    adapter?.AdapterId,
                    adapter is null ? null : HyperVClasses.PartitionValueProperties
                        .Where(n => adapter.Settings.GetUnsigned(n) is not null)
                        .ToDictionary(n => n, n => adapter.Settings.GetUnsigned(n)!.Value, StringComparer.Ordinal),
                    adapter?.RequestedGpuPath,
                    adapter?.Device?.PartitionId,
                    adapter?.Device?.PartitionVfLuid,
                    settings?.GetBoolean("GuestControlledCacheTypes") ?? false,
                    settings?.GetUnsigned("LowMmioGapSize") ?? 0,
                    settings?.GetUnsigned("HighMmioGapSize") ?? 0,
                    resource?.Name,
                    resource?.OwnerGroup)));
        }

        var capture = new NodeCapture(
            systems.FirstOrDefault(s => !VirtualMachines.IsVm(s))?.GetString("Caption"),
            systems.FirstOrDefault(VirtualMachines.IsVm)?.GetString("Caption"),
            HyperVClasses.PartitionValueProperties.ToDictionary(n => n, n => template.GetUnsigned(n), StringComparer.Ordinal),
            os?.GetString("Caption"),
            [.. devices.Where(d => !gpuPaths.Contains(d.DeviceId)).Select(d =>
            {
                var driver = drivers.FirstOrDefault(r => string.Equals(r.DeviceId, d.DeviceId, StringComparison.OrdinalIgnoreCase));
                return new DisplayDeviceCapture(d.DeviceId, d.Name, d.Manufacturer, d.Status, d.ConfigManagerErrorCode, driver?.Version, driver?.Provider, driver?.Location);
            })]);
        // nvidia-smi is kept as its facts (installed, driver version), not its XML: the emulator answers from the GPUs,
        // and serials or UUIDs in the XML never reach the file. Board-to-device pairing (PCI location) is the emulator's.
        var node = new NodeDescription(
            host.Node,
            gpus,
            vms,
            os?.GetString("BuildNumber") ?? "unknown",
            OsCaption: os?.GetString("Caption") ?? "unknown",
            OsSku: os?.GetUnsigned("OperatingSystemSKU") is { } sku ? (int)sku : null,
            IovSupport: iov.Supported,
            IovSupportReasons: iov.Reasons.Count > 0 ? iov.Reasons : null,
            NvidiaSmi: smi is not null,
            NvidiaDriverVersion: smi?.DriverVersion ?? "unknown",
            Captured: capture);
        return new ClusterDescription(clusterName, [node]);
    }

    /// <summary>The file's text: the description format of src/HostRunner/Simulation/Samples.</summary>
    public static string Serialize(ClusterDescription description) => JsonSerializer.Serialize(description, Readable.ClusterDescription);

    /// <summary>Device paths keep their '&amp;' and '\' readable (no \u0026): the file is for people too, and never served to a browser.</summary>
    private static readonly SimulationJsonContext Readable = new(new JsonSerializerOptions(SimulationJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
