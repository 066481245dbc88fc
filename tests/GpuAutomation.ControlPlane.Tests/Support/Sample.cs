using System.Security.Cryptography;
using System.Text;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>Inventories of a homogeneous NVIDIA A2 cluster, built to order.</summary>
internal static class Sample
{
    public const string Cluster = "clus1";
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The object id of a sample node's managed identity (stable per node name).</summary>
    public static string PrincipalId(string node) => new Guid(MD5.HashData(Encoding.UTF8.GetBytes("principal:" + node))).ToString();

    public static Guid VmId(string vmName) => new(MD5.HashData(Encoding.UTF8.GetBytes(vmName)));

    public static GpuInventory Gpu(string path, int partitionCount, IEnumerable<string>? vmsHoldingPartitions = null, GpuAssignedStatus status = GpuAssignedStatus.Partitioned, string model = "A2", long? memoryMiB = 16384, string? driverVersion = null)
        => new(
            path,
            "PCI\\" + path,
            "NVIDIA",
            model,
            memoryMiB,
            "OK",
            0,
            status,
            [16, 8, 4, 2],
            partitionCount,
            null,
            (vmsHoldingPartitions ?? []).Select((vm, i) => new GpuPartitionAssignment(i, vm, VmId(vm), null)).ToList(),
            driverVersion is null ? null : new GpuDriver(driverVersion, "NVIDIA"));

    public static VmInventory Vm(string name, string node, string? gpuPath = null)
        => new(
            name,
            VmId(name),
            VmPowerState.Running,
            node,
            gpuPath is null ? [] : [new PartitionAdapter("adapter-" + name, gpuPath, 0, null)],
            true,
            OfflineAction.ForceShutdown,
            null);

    /// <summary>A node with one GPU of <paramref name="partitionCount"/> partitions, <paramref name="withPartition"/> VMs holding one and <paramref name="without"/> VMs without.</summary>
    public static NodeInventory Node(string node, DateTimeOffset takenAt, int partitionCount = 4, int withPartition = 0, int without = 4)
    {
        var gpuPath = $"gpu-{node}-0";
        var holders = Enumerable.Range(0, withPartition).Select(i => $"{node}-gpuvm{i}").ToList();
        var vms = holders.Select(v => Vm(v, node, gpuPath))
            .Concat(Enumerable.Range(0, without).Select(i => Vm($"{node}-vm{i}", node)))
            .ToList();
        return new NodeInventory(node, takenAt, new HostFacts("26100", true, true), [Gpu(gpuPath, partitionCount, holders)], vms);
    }
}
