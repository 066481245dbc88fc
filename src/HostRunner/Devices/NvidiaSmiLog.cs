using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// What the agent takes from <c>nvidia-smi -q -x</c>: root <c>nvidia_smi_log</c> with <c>driver_version</c> and one
/// <c>gpu</c> per board (<c>product_name</c>, <c>pci/{pci_bus,pci_device,pci_bus_id}</c>,
/// <c>gpu_virtualization_mode/{virtualization_mode,host_vgpu_mode}</c>, <c>fb_memory_usage/total</c>). NVIDIA ships a
/// DTD with the driver (nvsmi_device_v*.dtd) but publishes no schema document we could read: the element names come
/// from public captures (e.g. NVIDIA/gpu-operator and NVIDIA/dcgm test fixtures; reference/hyperv-wmi.md) and are
/// unconfirmed against the DTD. Names change across versions, so every element is optional and "N/A" reads as absent.
/// </summary>
public sealed record NvidiaSmiLog(string? DriverVersion, IReadOnlyList<NvidiaSmiGpu> Gpus)
{
    public static NvidiaSmiLog Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XDocument document;
        try
        {
            // The output names its DTD; nothing is resolved or fetched.
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new NvidiaSmiException($"nvidia-smi -q -x wrote no readable XML: {e.Message}", e);
        }

        var root = document.Root;
        if (root is null || root.Name.LocalName != "nvidia_smi_log")
        {
            throw new NvidiaSmiException($"nvidia-smi -q -x wrote <{root?.Name.LocalName}>, not <nvidia_smi_log>.");
        }

        var gpus = root.Elements("gpu").Select(g =>
        {
            var busId = Text(g.Element("pci")?.Element("pci_bus_id"));
            return new NvidiaSmiGpu(
                Text(g.Element("product_name")),
                busId,
                Hex(Text(g.Element("pci")?.Element("pci_bus"))),
                Hex(Text(g.Element("pci")?.Element("pci_device"))),
                busId is not null && busId.LastIndexOf('.') is var dot and > 0 ? Hex(busId[(dot + 1)..]) : null,
                MiB(Text(g.Element("fb_memory_usage")?.Element("total"))),
                Text(g.Element("gpu_virtualization_mode")?.Element("virtualization_mode")),
                Text(g.Element("gpu_virtualization_mode")?.Element("host_vgpu_mode")),
                Percent(Text(g.Element("utilization")?.Element("gpu_util"))),
                Percent(Text(g.Element("utilization")?.Element("memory_util"))),
                MiB(Text(g.Element("fb_memory_usage")?.Element("used"))));
        }).ToList();
        return new NvidiaSmiLog(Text(root.Element("driver_version")), gpus);
    }

    private static string? Text(XElement? element)
    {
        var value = element?.Value.Trim();
        return string.IsNullOrEmpty(value) || value == "N/A" ? null : value;
    }

    /// <summary>"23 %" → 23; anything else (N/A, a missing element) → null, never 0.</summary>
    private static int? Percent(string? text)
    {
        var parts = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is [var number, "%"] && int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent <= 100 ? percent : null;
    }

    private static int? Hex(string? text)
        => int.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static long? MiB(string? text)
    {
        var parts = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is [var number, "MiB"] && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) ? mib : null;
    }
}
