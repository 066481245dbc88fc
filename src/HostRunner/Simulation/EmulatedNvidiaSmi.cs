using System.Globalization;
using System.Xml.Linq;
using GpuAutomation.HostRunner.Devices;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// <c>nvidia-smi -q -x</c> on an emulated node: the elements the agent reads, shaped as public captures show them
/// (root nvidia_smi_log, driver_version, one gpu per board with pci, gpu_virtualization_mode, fb_memory_usage, utilization; see
/// <see cref="NvidiaSmiLog"/>). Like the real tool it lists only boards whose driver runs on the host: a DDA GPU (given
/// to a VM) or a GPU without a working driver is absent. The virtualization mode of a GPU-P host driver ("Host VGPU",
/// host_vgpu_mode "SR-IOV") and the frame-buffer total (the model's full memory; real boards report somewhat less,
/// e.g. 15356 MiB on an A2) are unverified fixture values. A Fail fault on operation "NvidiaSmi" makes the tool exit
/// non-zero.
/// </summary>
internal sealed class EmulatedNvidiaSmi(EmulatedCluster cluster, string node) : INvidiaSmi
{
    public const string Operation = "NvidiaSmi";

    public Task<string?> QueryXmlAsync(CancellationToken cancellationToken)
    {
        if (cluster.Faults.Take(node, Operation, "nvidia-smi", k => k == EmulatedFaultKind.Fail) is { } fault)
        {
            throw new NvidiaSmiException($"nvidia-smi -q -x exited with 15: {fault.Description}");
        }

        lock (cluster.Gate)
        {
            var description = cluster.Description(node);
            var boards = cluster.NodeGpus(node)
                .Where(g => !g.Dda && g.PnpErrorCode == 0 && string.Equals(g.Model.Vendor, "NVIDIA", StringComparison.OrdinalIgnoreCase))
                .ToList();
            var log = new XElement(
                "nvidia_smi_log",
                new XElement("driver_version", description.NvidiaDriverVersion),
                new XElement("attached_gpus", boards.Count.ToString(CultureInfo.InvariantCulture)),
                boards.Select(Board));
            var document = new XDocument(new XDeclaration("1.0", null, null), new XDocumentType("nvidia_smi_log", null, "nvsmi_device_v12.dtd", null), log);
            return Task.FromResult<string?>(document.Declaration + Environment.NewLine + document.ToString());
        }
    }

    private static XElement Board(EmulatedGpu gpu)
    {
        var busId = string.Create(CultureInfo.InvariantCulture, $"00000000:{gpu.PciBus:X2}:00.0");
        return new XElement(
            "gpu",
            new XAttribute("id", busId),
            new XElement("product_name", gpu.Model.Name),
            new XElement("driver_model", new XElement("current_dm", "WDDM"), new XElement("pending_dm", "WDDM")),
            new XElement(
                "gpu_virtualization_mode",
                new XElement("virtualization_mode", gpu.SriovEnabled ? "Host VGPU" : "None"),
                new XElement("host_vgpu_mode", gpu.SriovEnabled ? "SR-IOV" : "N/A")),
            new XElement(
                "pci",
                new XElement("pci_bus", gpu.PciBus.ToString("X2", CultureInfo.InvariantCulture)),
                new XElement("pci_device", "00"),
                new XElement("pci_domain", "0000"),
                new XElement("pci_bus_id", busId)),
            new XElement(
                "fb_memory_usage",
                new XElement("total", string.Create(CultureInfo.InvariantCulture, $"{gpu.Model.MemoryGiB * 1024} MiB")),
                new XElement("used", "0 MiB")),
            // An emulated GPU runs nothing: idle, as a real board's utilization element shows it ("0 %").
            new XElement(
                "utilization",
                new XElement("gpu_util", "0 %"),
                new XElement("memory_util", "0 %"),
                new XElement("encoder_util", "0 %"),
                new XElement("decoder_util", "0 %")));
    }
}
