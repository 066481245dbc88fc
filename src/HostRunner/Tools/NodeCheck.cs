using System.Globalization;
using System.Text;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// <c>HostRunner check</c>: probes, read-only, the assumptions the agent makes on this node (reference/hyperv-wmi.md,
/// audits/fidelity-hyperv.md) and says for each what was read and what to do. Safe on a production node: it only
/// queries and reads, and writes nothing but a probe file in the journal folder.
/// </summary>
/// <param name="bus">The bus rows' probe; null when no bus is configured (its rows then say so, as warnings).</param>
public sealed class NodeCheck(HyperVHost host, string? journalFolder, BusCheck? bus = null)
{
    /// <summary>Client GPU-PV drivers report TotalVRAM as this relative unit, server GPU-P drivers in bytes (D-DXGK, EGPV #361).</summary>
    public const ulong RelativeUnit = 1_000_000_000;

    public async Task<IReadOnlyList<CheckRow>> RunAsync(CancellationToken cancellationToken)
    {
        var rows = new List<CheckRow>();
        await AddAsync(rows, "Hyper-V WMI provider: root\\virtualization\\v2 has one Msvm_VirtualSystemManagementService", "Install the Hyper-V role and run as an administrator.", async ct =>
        {
            var services = await host.Cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ManagementService), ct);
            return services.Count == 1
                ? [Row(Inv($"{services.Count} instance"), CheckVerdict.Pass)]
                : [Row(Inv($"{services.Count} instances"), CheckVerdict.Fail)];
        }, cancellationToken);

        foreach (var ns in new[] { CimNamespaces.Virtualization, CimNamespaces.Cluster, CimNamespaces.Cimv2 })
        {
            rows.Add(await SurfaceRowAsync(ns, cancellationToken));
        }

        IReadOnlyList<PartitionableGpu> gpus = [];
        await AddAsync(rows, "Partitionable GPUs: Msvm_PartitionableGpu lists each GPU-P GPU", "Install the vendor's GPU-P host driver; enable SR-IOV and virtualization in the BIOS.", async ct =>
        {
            gpus = await host.Gpus.ListAsync(ct);
            return [Row(Inv($"{gpus.Count} GPU(s)"), gpus.Count > 0 ? CheckVerdict.Pass : CheckVerdict.Fail)];
        }, cancellationToken);

        IReadOnlyList<PnpDevice> devices = [];
        await AddAsync(rows, "Display devices readable: Win32_PnPEntity (root\\cimv2)", "Check WMI access to root\\cimv2.", async ct =>
        {
            devices = await host.Devices.ListAsync(ct);
            return [Row(Inv($"{devices.Count} display device(s)"), CheckVerdict.Pass)];
        }, cancellationToken);

        foreach (var gpu in gpus)
        {
            rows.Add(GpuRow(gpu));
            var device = devices.FirstOrDefault(d => string.Equals(d.DeviceId, GpuDeviceIds.FromInstancePath(gpu.Name), StringComparison.OrdinalIgnoreCase));
            rows.Add(new CheckRow(
                $"GPU {Short(gpu.Name)}: driver working (PnP Status OK, ConfigManagerErrorCode 0)",
                device is null ? "no PnP device" : Inv($"{device.Name}: {device.Status}, code {device.ConfigManagerErrorCode}"),
                device?.IsWorking == true ? CheckVerdict.Pass : CheckVerdict.Fail,
                device?.IsWorking == true ? string.Empty : "Reinstall the GPU driver (Get-PnpDevice shows the error)."));
        }

        await AddAsync(rows, "Default GPU partition template: pool → capabilities → Default, twelve values NULL", "GPU-P is not available on this host: check the driver and the OS edition.", TemplateRowsAsync, cancellationToken);
        await AddAsync(rows, "VM listing: every Msvm_ComputerSystem with a GUID Name has realized settings (Caption is localized)", "Report this host's output: VM discovery would miss VMs.", VmListingRowsAsync, cancellationToken);
        await AddAsync(rows, "Failover cluster: root\\MSCluster names a cluster", string.Empty, async ct =>
            await host.Cluster.IsNodeClusteredAsync(ct)
                ? [Row("clustered", CheckVerdict.Pass)]
                : [Row("not clustered", CheckVerdict.Warn, "A standalone host: OfflineAction is not set; VMs are not protected by the cluster.")], cancellationToken);
        await AddAsync(rows, "GPU VMs: cluster resource OfflineAction and GPU-P VM settings", string.Empty, GpuVmRowsAsync, cancellationToken);
        await AddAsync(rows, LiveMigrationAssumption, "Check WMI access to root\\virtualization\\v2 and root\\cimv2.", LiveMigrationRowsAsync, cancellationToken);
        rows.AddRange(await new PlatformCheck(host).RunAsync(gpus, devices, cancellationToken));
        rows.AddRange(bus is null ? BusCheck.NotConfigured() : await bus.RunAsync(cancellationToken));
        rows.Add(JournalRow());
        return rows;
    }

    /// <summary>0 when no row failed, 1 otherwise.</summary>
    public static int ExitCode(IReadOnlyList<CheckRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Any(r => r.Verdict == CheckVerdict.Fail) ? 1 : 0;
    }

    /// <summary>The rows as a plain-text table (one row per line, columns separated by " | ").</summary>
    public static string Format(IReadOnlyList<CheckRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        text.AppendLine("verdict | assumption | read | what to do");
        foreach (var row in rows)
        {
            text.Append(row.Verdict.ToString().ToUpperInvariant()).Append(" | ").Append(row.Assumption).Append(" | ").Append(row.Read).Append(" | ").AppendLine(row.Action);
        }

        var failed = rows.Count(r => r.Verdict == CheckVerdict.Fail);
        var warned = rows.Count(r => r.Verdict == CheckVerdict.Warn);
        text.AppendLine(Inv($"{rows.Count} checks: {rows.Count - failed - warned} pass, {warned} warn, {failed} fail"));
        return text.ToString();
    }

    private static CheckRow GpuRow(PartitionableGpu gpu)
    {
        var total = gpu.Resources.Vram.Total;
        var units = total == RelativeUnit ? "relative units (client GPU-PV driver)" : "bytes";
        var read = Inv($"valid counts [{string.Join(", ", gpu.ValidPartitionCounts)}], count {gpu.PartitionCount}, TotalVRAM {total} ({units}), MinPartitionVRAM {gpu.Resources.Vram.MinPartition}");
        var assumption = $"GPU {Short(gpu.Name)}: valid counts, a valid count set, VRAM in bytes";
        if (gpu.ValidPartitionCounts.Count == 0)
        {
            return new(assumption, read, CheckVerdict.Fail, "No valid partition counts: SR-IOV is off or the driver has no GPU-P support.");
        }

        if (!gpu.ValidPartitionCounts.Contains(gpu.PartitionCount))
        {
            return new(assumption, read, CheckVerdict.Warn, "Set a partition count (Set-VMHostPartitionableGpu or a ConfigurePartitionCount command).");
        }

        return total == RelativeUnit
            ? new(assumption, read, CheckVerdict.Warn, "A client GPU-PV driver: server GPU-P sizes are in bytes; inventory memory will be wrong.")
            : new(assumption, read, CheckVerdict.Pass, string.Empty);
    }

    private async Task<IReadOnlyList<(string Read, CheckVerdict Verdict, string Action)>> TemplateRowsAsync(CancellationToken ct)
    {
        CimInstance? template;
        var path = "pool → capabilities → Default";
        try
        {
            template = await host.Adapters.GetTemplateThroughCapabilitiesAsync(ct);
        }
        catch (CimException e)
        {
            template = null;
            path = $"pool path failed ({e.Code})";
        }

        var verdict = CheckVerdict.Pass;
        if (template is null)
        {
            template = await host.Adapters.GetTemplateAsync(ct);
            path += "; found by the InstanceID LIKE query";
            verdict = CheckVerdict.Warn;
        }

        var set = HyperVClasses.PartitionValueProperties.Where(n => template.Get(n) is not null).ToList();
        var read = Inv($"{template.GetString("InstanceID")} via {path}; {12 - set.Count} of 12 values NULL");
        return set.Count == 0
            ? [(read, verdict, verdict == CheckVerdict.Pass ? string.Empty : "Report this host's output: the documented path to the template did not work.")]
            : [(read, CheckVerdict.Warn, $"The template carries values ({string.Join(", ", set)}): the agent sends it as read; report this host's output.")];
    }

    private async Task<IReadOnlyList<(string Read, CheckVerdict Verdict, string Action)>> VmListingRowsAsync(CancellationToken ct)
    {
        var systems = await host.Cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ComputerSystem), ct);
        var vms = systems.Where(VirtualMachines.IsVm).ToList();
        var realized = await host.Vms.ListRealizedSettingsAsync(ct);
        var captions = string.Join(", ", systems.Select(s => s.GetString("Caption")).Distinct(StringComparer.Ordinal).Select(c => $"'{c}'"));
        var missing = vms.Count(v => Guid.TryParse(v.GetString("Name"), out var id) && !realized.ContainsKey(id));
        var read = Inv($"{systems.Count} computer system(s), {vms.Count} VM(s) by GUID Name, {realized.Count} realized settings; captions {captions}");
        return missing == 0 && vms.Count == realized.Count
            ? [(read, CheckVerdict.Pass, string.Empty)]
            : [(read, CheckVerdict.Fail, "VMs and realized settings disagree: report this host's output.")];
    }

    public const string LiveMigrationAssumption = "GPU-P live migration (MoveVm mode live): OS build 26100+ and NVIDIA vGPU 18+ (driver R570+) on this node";

    /// <summary>Whether a running VM with a GPU partition can live-migrate off this node (Platform/LiveMigrationPrerequisites).</summary>
    private async Task<IReadOnlyList<(string Read, CheckVerdict Verdict, string Action)>> LiveMigrationRowsAsync(CancellationToken ct)
    {
        var inventory = await host.Inventory.ReadAsync(ct);
        var os = await host.OperatingSystem.ReadAsync(ct);
        var gpus = inventory.Gpus.Where(g => g.AssignedStatus == GpuAssignedStatus.Partitioned).ToList();
        var problems = Platform.LiveMigrationPrerequisites.Problems(host.Node, os, gpus);
        var drivers = string.Join(", ", gpus.Select(g => g.Driver?.VendorVersion ?? g.Driver?.Version ?? "no version").Distinct(StringComparer.Ordinal));
        var read = Inv($"build {os.Build}; {gpus.Count} partitioned GPU(s){(drivers.Length > 0 ? $", drivers {drivers}" : string.Empty)}; IOMMU DMA bit tracking not readable through WMI (not checked)");
        return problems.Count == 0
            ? [Row(read, CheckVerdict.Pass, "Live migration also needs the same on the target node and an IOMMU with DMA bit tracking (Intel VT-d / AMD-Vi).")]
            : [Row($"{read}: {string.Join("; ", problems)}", CheckVerdict.Warn, "Running GPU-P VMs can't live-migrate off this node: MoveVm needs whenLiveImpossible StopMoveStart (a restart), or upgrade to build 26100+ and NVIDIA vGPU 18+.")];
    }

    private async Task<IReadOnlyList<(string Read, CheckVerdict Verdict, string Action)>> GpuVmRowsAsync(CancellationToken ct)
    {
        var inventory = await host.Inventory.ReadAsync(ct);
        var gpuVms = inventory.Vms.Where(v => v.HasPartition).ToList();
        if (gpuVms.Count == 0)
        {
            return [("no VM has a GPU partition adapter", CheckVerdict.Pass, string.Empty)];
        }

        var rows = new List<(string, CheckVerdict, string)>();
        foreach (var vm in gpuVms)
        {
            var memory = await host.Adapters.GetMemorySettingsAsync(vm.Id, ct);
            var read = Inv($"{vm.Name}: {(vm.IsClustered ? $"OfflineAction {vm.OfflineAction}" : "not clustered")}; GuestControlledCacheTypes {memory.GuestControlledCacheTypes}, LowMmioGapSize {memory.LowMmioGapMb} MB, HighMmioGapSize {memory.HighMmioGapMb} MB");
            if (vm.IsClustered && vm.OfflineAction != OfflineAction.ForceShutdown)
            {
                rows.Add((read, CheckVerdict.Warn, "OfflineAction should be 3 (forced shutdown): the agent sets it on assign, or Set-ClusterParameter OfflineAction 3."));
            }
            else if (memory.GuestControlledCacheTypes != true || memory.LowMmioGapMb < 1024 || memory.HighMmioGapMb < 32768)
            {
                // Community tools always set these and a client host failed the add without them; unconfirmed on server GPU-P.
                rows.Add((read, CheckVerdict.Warn, "GPU-P guests usually need GuestControlledCacheTypes on, low MMIO ≥ 1 GB, high MMIO ≥ 32 GB (Set-VM)."));
            }
            else
            {
                rows.Add((read, CheckVerdict.Pass, string.Empty));
            }
        }

        return rows;
    }

    /// <summary>
    /// Every class the agent reads or writes in <paramref name="ns"/> and every method it invokes on them, through the
    /// provider's own class declarations (MI GetClass), so a missing or older provider shows before the first command.
    /// </summary>
    private async Task<CheckRow> SurfaceRowAsync(string ns, CancellationToken cancellationToken)
    {
        var wanted = AgentSurface.Where(c => c.Namespace == ns).ToList();
        var assumption = Inv($"{ns} declares the {wanted.Count} classes and {wanted.Sum(c => c.Methods.Length)} methods the agent uses");
        var missing = new List<string>();
        foreach (var (_, className, methods) in wanted)
        {
            try
            {
                var declared = await host.Cim.GetClassAsync(ns, className, cancellationToken);
                missing.AddRange(methods.Where(m => !declared.Methods.Contains(m, StringComparer.OrdinalIgnoreCase)).Select(m => $"{className}.{m}"));
            }
            catch (CimException e) when (e.Code == CimErrors.InvalidNamespace)
            {
                return ns == CimNamespaces.Cluster
                    ? new(assumption, $"no namespace: {e.Message}", CheckVerdict.Warn, "Not a failover cluster node: OfflineAction can't be set; VMs are not protected by the cluster.")
                    : new(assumption, $"no namespace: {e.Message}", CheckVerdict.Fail, ns == CimNamespaces.Virtualization ? "Install the Hyper-V role (and its management tools)." : "WMI is broken on this host: repair it (winmgmt /verifyrepository).");
            }
            catch (CimException e)
            {
                missing.Add($"{className} ({e.Code})");
            }
        }

        return missing.Count == 0
            ? new(assumption, "all present", CheckVerdict.Pass, string.Empty)
            : new(assumption, $"missing: {string.Join(", ", missing)}", CheckVerdict.Fail, "This host's providers lack what the agent calls: check the OS build and that the Hyper-V / Failover Clustering features are complete; report this output.");
    }

    /// <summary>The namespaces, classes and methods the production operations use (HyperV/, Cluster/, Devices/).</summary>
    private static readonly (string Namespace, string ClassName, string[] Methods)[] AgentSurface =
    [
        (CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, []),
        (CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, ["RequestStateChange"]),
        (CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingData, []),
        (CimNamespaces.Virtualization, HyperVClasses.VirtualSystemSettingDataComponent, []),
        (CimNamespaces.Virtualization, HyperVClasses.GpuPartitionSettingData, []),
        (CimNamespaces.Virtualization, HyperVClasses.GpuPartition, []),
        (CimNamespaces.Virtualization, HyperVClasses.ManagementService, ["AddResourceSettings", "RemoveResourceSettings", "ModifyResourceSettings", "ModifySystemSettings"]),
        (CimNamespaces.Virtualization, HyperVClasses.ShutdownComponent, ["InitiateShutdown"]),
        (CimNamespaces.Virtualization, HyperVClasses.ConcreteJob, []),
        (CimNamespaces.Virtualization, HyperVClasses.ResourcePool, []),
        (CimNamespaces.Virtualization, HyperVClasses.AllocationCapabilities, []),
        (CimNamespaces.Virtualization, HyperVClasses.ElementCapabilities, []),
        (CimNamespaces.Virtualization, HyperVClasses.SettingsDefineCapabilities, []),
        (CimNamespaces.Cluster, ClusterResources.ClusterClass, []),
        (CimNamespaces.Cluster, ClusterResources.ResourceClass, []),
        (CimNamespaces.Cluster, ClusterGroups.GroupClass, [ClusterGroups.MoveToNewNode, ClusterGroups.MoveToNewNodeParams, ClusterGroups.BringOnline]),
        (CimNamespaces.Cluster, ClusterGroups.NodeClass, []),
        (CimNamespaces.Cimv2, "Win32_PnPEntity", []),
        (CimNamespaces.Cimv2, "Win32_OperatingSystem", []),
    ];

    private CheckRow JournalRow()
    {
        const string Assumption = "Journal folder writable (the agent journals every command before it acts)";
        if (string.IsNullOrEmpty(journalFolder))
        {
            return new(Assumption, "not given", CheckVerdict.Warn, "Pass --journal <folder> to check the folder the service will use.");
        }

        try
        {
            Directory.CreateDirectory(journalFolder);
            var probe = Path.Combine(journalFolder, $".check-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "check");
            File.Delete(probe);
            return new(Assumption, journalFolder, CheckVerdict.Pass, string.Empty);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(Assumption, $"{journalFolder}: {e.Message}", CheckVerdict.Fail, "Give the service account write access to the folder.");
        }
    }

    /// <summary>Runs one probe; a CIM failure turns its row red with the code read, so one broken provider doesn't hide the rest.</summary>
    private static async Task AddAsync(
        List<CheckRow> rows,
        string assumption,
        string actionOnError,
        Func<CancellationToken, Task<IReadOnlyList<(string Read, CheckVerdict Verdict, string Action)>>> probe,
        CancellationToken cancellationToken)
    {
        try
        {
            rows.AddRange((await probe(cancellationToken)).Select(r => new CheckRow(assumption, r.Read, r.Verdict, r.Action)));
        }
        catch (CimException e)
        {
            rows.Add(new CheckRow(assumption, $"{e.Code}: {e.Message}", CheckVerdict.Fail, actionOnError));
        }
    }

    private static (string Read, CheckVerdict Verdict, string Action) Row(string read, CheckVerdict verdict, string action = "") => (read, verdict, action);

    private static string Short(string instancePath) => GpuDeviceIds.FromInstancePath(instancePath) ?? instancePath;

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
