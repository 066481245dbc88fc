using System.Globalization;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Platform;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// The <c>check</c> rows for what the platform must give GPU-P before any GPU can be partitioned: SR-IOV with DMA
/// remapping (IOVSupport), each GPU's host driver (Win32_PnPSignedDriver, and nvidia-smi's view where installed),
/// displays that are no GPU (a BMC's VGA), and the OS build and edition against the GPU-P prerequisites. Read-only.
/// </summary>
public sealed class PlatformCheck(HyperVHost host)
{
    public const string IovAssumption = "Platform SR-IOV and IOMMU: IOVSupport (Msvm_VirtualEthernetSwitchManagementCapabilities, Get-VMHost)";
    public const string OsAssumption = "Operating system: build and edition meet the GPU-P prerequisites (Win32_OperatingSystem)";
    public const string DriverAssumption = "host driver version (Win32_PnPSignedDriver; nvidia-smi -q -x when installed)";

    /// <summary>nvidia-smi's virtualization mode of a GPU driven by NVIDIA's vGPU host driver, which GPU-P uses.</summary>
    public const string HostVgpuMode = "Host VGPU";

    public async Task<IReadOnlyList<CheckRow>> RunAsync(IReadOnlyList<PartitionableGpu> gpus, IReadOnlyList<PnpDevice> devices, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentNullException.ThrowIfNull(devices);
        var rows = new List<CheckRow>();
        rows.Add(await Guard(IovAssumption, "Check WMI access to root\\virtualization\\v2.", IovRowAsync, cancellationToken));
        rows.AddRange(await GuardMany($"GPU drivers: {DriverAssumption}", "Check WMI access to root\\cimv2 (Win32_PnPSignedDriver).", ct => DriverRowsAsync(gpus, devices, ct), cancellationToken));
        rows.AddRange(devices.Where(BaseboardManagementVga.Is).Select(d => new CheckRow(
            "Display devices that are no GPU (a BMC's VGA) are never offered for DDA",
            $"{d.Name} ({d.DeviceId}): BMC VGA, classified Not assignable",
            CheckVerdict.Pass,
            string.Empty)));
        rows.Add(await Guard(OsAssumption, "Check WMI access to root\\cimv2.", OsRowAsync, cancellationToken));
        return rows;
    }

    private async Task<CheckRow> IovRowAsync(CancellationToken ct)
    {
        var iov = await host.Iov.ReadAsync(ct);
        var reasons = iov.Reasons.Count == 0 ? string.Empty : $"; reasons: {string.Join(" | ", iov.Reasons)}";
        return iov.Supported switch
        {
            true => new(IovAssumption, "IOVSupport True", CheckVerdict.Pass, string.Empty),
            false => new(IovAssumption, $"IOVSupport False{reasons}", CheckVerdict.Fail,
                "Enable SR-IOV and the IOMMU (Intel VT-d / AMD-Vi, DMA remapping) in the firmware, update the BIOS if the reasons ask for it, then reboot."),
            null => new(IovAssumption, "no instance of the class: IOVSupport not reported", CheckVerdict.Warn,
                "Report this host's output (Get-VMHost | fl IovSupport, IovSupportReasons): the agent falls back to inferring SR-IOV from the GPUs' valid counts."),
        };
    }

    private async Task<IReadOnlyList<CheckRow>> DriverRowsAsync(IReadOnlyList<PartitionableGpu> gpus, IReadOnlyList<PnpDevice> devices, CancellationToken ct)
    {
        var drivers = await host.Drivers.ListAsync(ct);
        NvidiaSmiLog? smi = null;
        var rows = new List<CheckRow>();
        if (host.NvidiaSmi is { } nvidiaSmi)
        {
            try
            {
                smi = await nvidiaSmi.QueryXmlAsync(ct) is { } xml ? NvidiaSmiLog.Parse(xml) : null;
            }
            catch (NvidiaSmiException e)
            {
                rows.Add(new("nvidia-smi -q -x readable", e.Message, CheckVerdict.Warn, "Run nvidia-smi -q -x on the node; driver mode and vGPU state are missing from the inventory until it works."));
            }
        }

        var versions = new List<string>();
        foreach (var gpu in gpus)
        {
            var deviceId = GpuDeviceIds.FromInstancePath(gpu.Name);
            var device = devices.FirstOrDefault(d => string.Equals(d.DeviceId, deviceId, StringComparison.OrdinalIgnoreCase));
            var driver = drivers.FirstOrDefault(d => string.Equals(d.DeviceId, deviceId, StringComparison.OrdinalIgnoreCase));
            var board = HostInventoryReader.NvidiaBoardOf(driver, device, smi, drivers);
            var assumption = $"GPU {deviceId ?? gpu.Name}: {DriverAssumption}";
            var tool = smi is null ? "nvidia-smi not installed" : string.Create(CultureInfo.InvariantCulture, $"nvidia-smi {smi.DriverVersion}, {board?.VirtualizationMode ?? "board not matched"}{(board?.HostVgpuMode is { } m ? $" ({m})" : string.Empty)}");
            if (driver?.Version is not { } version)
            {
                rows.Add(new(assumption, $"no driver version; {tool}", CheckVerdict.Fail, "Install the GPU vendor's GPU-P host driver for this OS."));
                continue;
            }

            versions.Add(version);
            var read = $"{version} ({driver.Provider ?? "unknown provider"}); {tool}";
            rows.Add(board is { } b && !string.Equals(b.VirtualizationMode, HostVgpuMode, StringComparison.OrdinalIgnoreCase)
                // Which mode a GPU-P host driver reports is taken from NVIDIA's vGPU documentation's wording, unconfirmed on Azure Local.
                ? new(assumption, read, CheckVerdict.Warn, "nvidia-smi does not show the vGPU host driver (Host VGPU): install NVIDIA's GPU-P host driver for Azure Local / Windows Server.")
                : new(assumption, read, CheckVerdict.Pass, string.Empty));
        }

        if (versions.Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
        {
            rows.Add(new($"GPU drivers: one version on the node", string.Join(", ", versions.Distinct(StringComparer.OrdinalIgnoreCase)), CheckVerdict.Warn, "Install the same GPU driver for every GPU (and on every node of the cluster)."));
        }

        return rows;
    }

    private async Task<CheckRow> OsRowAsync(CancellationToken ct)
    {
        var os = await host.OperatingSystem.ReadAsync(ct);
        var clustered = await host.Cluster.IsNodeClusteredAsync(ct);
        var sku = os.Sku is { } s ? s.ToString(CultureInfo.InvariantCulture) : "not reported";
        var read = $"{os.Caption ?? "unknown"}, build {os.BuildText}, SKU {sku} ({GpuPPrerequisites.EditionOf(os)}){(clustered ? ", clustered" : string.Empty)}";
        var problems = GpuPPrerequisites.Problems(os, clustered);
        if (problems.Count > 0)
        {
            return new(OsAssumption, read, CheckVerdict.Fail, string.Join(" ", problems));
        }

        return os.Build < GpuPPrerequisites.WindowsServer2025Build
            ? new(OsAssumption, read, CheckVerdict.Warn, string.Create(CultureInfo.InvariantCulture, $"GPU-P works, but GPU-P VMs live-migrate only from build {GpuPPrerequisites.WindowsServer2025Build}: they restart elsewhere on failover."))
            : new(OsAssumption, read, CheckVerdict.Pass, string.Empty);
    }

    private static async Task<CheckRow> Guard(string assumption, string action, Func<CancellationToken, Task<CheckRow>> probe, CancellationToken ct)
    {
        try
        {
            return await probe(ct);
        }
        catch (CimException e)
        {
            return new(assumption, $"{e.Code}: {e.Message}", CheckVerdict.Fail, action);
        }
    }

    private static async Task<IReadOnlyList<CheckRow>> GuardMany(string assumption, string action, Func<CancellationToken, Task<IReadOnlyList<CheckRow>>> probe, CancellationToken ct)
    {
        try
        {
            return await probe(ct);
        }
        catch (CimException e)
        {
            return [new(assumption, $"{e.Code}: {e.Message}", CheckVerdict.Fail, action)];
        }
    }
}
