using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>A Msvm_GpuPartition: the runtime device of a VM's adapter, on a physical GPU.</summary>
/// <param name="DeviceId">The device id; Hyper-V names it like the adapter's InstanceID (Microsoft:&lt;VM&gt;\&lt;device&gt;).</param>
public sealed record GpuPartitionDevice(Guid VmId, string DeviceId, string? GpuInstancePath, int? PartitionId, string? PartitionVfLuid)
{
    internal static GpuPartitionDevice From(CimInstance instance)
    {
        var system = instance.RequireString("SystemName");
        return new(
            Guid.TryParse(system, out var vm) ? vm : Guid.Empty,
            instance.RequireString("DeviceID"),
            instance.GetString("DeviceInstancePath"),
            instance.GetUnsigned("PartitionId") is { } id ? (int)id : null,
            instance.GetString("PartitionVfLuid"));
    }
}
