using System.Globalization;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// <c>capture --redact</c>: replaces what names or identifies the operator's estate — VM names and ids, host and
/// cluster names, cluster resource and group names, notes, the serial-like instance part of device paths, adapter ids
/// and partition LUIDs — with pseudonyms, keeping the structure: the same input gets the same pseudonym everywhere in
/// one file, so a GPU still maps to its PnP device, an adapter to its VM and a resource to its VM. Kept as read: the
/// PCI vendor/device/subsystem ids and device names (they say which model, not whose), every number and state.
/// </summary>
public sealed class CaptureRedaction
{
    private readonly Dictionary<string, string> _pseudonyms = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public ClusterDescription Redact(ClusterDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        return description with
        {
            Name = description.Name is null ? null : Pseudonym("cluster", description.Name),
            Nodes = [.. description.Nodes.Select(RedactNode)],
        };
    }

    private NodeDescription RedactNode(NodeDescription node)
    {
        var hostName = Pseudonym("node", node.Name);
        return node with
        {
            Name = hostName,
            Gpus = [.. node.Gpus.Select(g => g with { InstancePath = g.InstancePath is null ? null : DevicePath(g.InstancePath) })],
            Vms = [.. node.Vms.Select(v => RedactVm(v, node.Name))],
            Captured = node.Captured is { } c
                ? c with { DisplayDevices = [.. c.DisplayDevices.Select(d => d with { DeviceId = DeviceId(d.DeviceId) })] }
                : null,
        };
    }

    private VmDescription RedactVm(VmDescription vm, string hostName)
    {
        var name = Pseudonym("vm", vm.Name);
        return vm with
        {
            Name = name,
            Id = vm.Id is { } id ? VmId(id) : null,
            GpuInstancePath = vm.GpuInstancePath is null ? null : DevicePath(vm.GpuInstancePath),
            Notes = vm.Notes is null ? null : Pseudonym("notes", vm.Notes),
            Captured = vm.Captured is { } c
                ? c with
                {
                    AdapterId = c.AdapterId is null ? null : AdapterId(c.AdapterId),
                    HostResource = c.HostResource is null ? null : GpuReference(c.HostResource, hostName),
                    PartitionVfLuid = c.PartitionVfLuid is null ? null : Pseudonym("luid", c.PartitionVfLuid),
                    ResourceName = c.ResourceName is null ? null : ResourceName(c.ResourceName, vm.Name, name),
                    OwnerGroup = c.OwnerGroup is null ? null : string.Equals(c.OwnerGroup, vm.Name, StringComparison.Ordinal) ? name : Pseudonym("group", c.OwnerGroup),
                }
                : null,
        };
    }

    /// <summary>A resource named the conventional way keeps the convention with the VM's pseudonym.</summary>
    private string ResourceName(string resourceName, string vmName, string vmPseudonym)
        => string.Equals(resourceName, $"Virtual Machine {vmName}", StringComparison.Ordinal)
            ? $"Virtual Machine {vmPseudonym}"
            : Pseudonym("resource", resourceName);

    private Guid VmId(Guid id)
        => Guid.Parse(Pseudonym("vm-id", id.ToString("D"), n => string.Create(CultureInfo.InvariantCulture, $"00000000-0000-4000-8000-{n:D12}")));

    /// <summary>Microsoft:&lt;VM GUID&gt;\&lt;device GUID&gt;: both GUIDs pseudonymized, the VM's as everywhere else.</summary>
    private string AdapterId(string adapterId)
    {
        var separator = adapterId.IndexOf('\\', StringComparison.Ordinal);
        if (!adapterId.StartsWith("Microsoft:", StringComparison.OrdinalIgnoreCase) || separator < 0 || !Guid.TryParse(adapterId["Microsoft:".Length..separator], out var vm))
        {
            return Pseudonym("adapter", adapterId);
        }

        var device = Pseudonym("device-id", adapterId[(separator + 1)..], n => string.Create(CultureInfo.InvariantCulture, $"00000000-0000-4000-9000-{n:D12}"));
        return $@"Microsoft:{VmId(vm).ToString("D").ToUpperInvariant()}\{device.ToUpperInvariant()}";
    }

    /// <summary>\\?\PCI#VEN_..&amp;DEV_..#&lt;instance&gt;#{class}: only the instance (serial-like) part changes.</summary>
    private string DevicePath(string path)
    {
        var parts = path.Split('#');
        if (parts.Length < 3)
        {
            return Pseudonym("device", path);
        }

        parts[2] = Instance(parts[2]);
        return string.Join('#', parts);
    }

    /// <summary>PCI\VEN_..\&lt;instance&gt;: the same instance pseudonym as the device path it maps to.</summary>
    private string DeviceId(string deviceId)
    {
        var parts = deviceId.Split('\\');
        if (parts.Length < 3)
        {
            return Pseudonym("device", deviceId);
        }

        parts[2] = Instance(parts[2]);
        return string.Join('\\', parts);
    }

    private string Instance(string instance)
        => Pseudonym("instance", instance, n => string.Create(CultureInfo.InvariantCulture, $"4&{n:x8}&0&0000"));

    /// <summary>HostResource holds a WMI object path: the server and the GPU's Name in it are redacted like the rest.</summary>
    private string GpuReference(string reference, string hostName)
    {
        try
        {
            var path = CimInstancePath.Parse(reference);
            return new CimInstancePath(
                path.Namespace,
                path.ClassName,
                [.. path.Keys.Select(k => new KeyValuePair<string, string>(k.Key, string.Equals(k.Key, "Name", StringComparison.OrdinalIgnoreCase) ? DevicePath(k.Value) : k.Value))],
                path.Server is null ? null : string.Equals(path.Server, hostName, StringComparison.OrdinalIgnoreCase) ? Pseudonym("node", hostName) : Pseudonym("server", path.Server)).ToWmiPath();
        }
        catch (CimException)
        {
            return Pseudonym("reference", reference);
        }
    }

    private string Pseudonym(string kind, string original)
        => Pseudonym(kind, original, n => string.Create(CultureInfo.InvariantCulture, $"{kind}-{n:D2}"));

    private string Pseudonym(string kind, string original, Func<int, string> format)
    {
        var key = kind + "\n" + original;
        if (!_pseudonyms.TryGetValue(key, out var pseudonym))
        {
            var next = _counters[kind] = _counters.GetValueOrDefault(kind) + 1;
            pseudonym = _pseudonyms[key] = format(next);
        }

        return pseudonym;
    }
}
