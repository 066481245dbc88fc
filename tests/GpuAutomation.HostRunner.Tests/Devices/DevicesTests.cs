using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tests.Devices;

public sealed class DevicesTests
{
    private static readonly PartitionResource Zero = new(0, 0, 0, 0, 0);
    private static readonly CimInstancePath AnyPath = new(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, [new("Name", "x")]);

    [Theory]
    [InlineData(@"\\?\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&18416dc3&0&0000#{064092b3-625e-43bf-9eb5-dc845897dd59}", @"PCI\VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1\4&18416dc3&0&0000")]
    [InlineData(@"PCI#VEN_1002&DEV_7460#6&2b3a&0&0010#{guid}", @"PCI\VEN_1002&DEV_7460\6&2b3a&0&0010")]
    [InlineData("not-a-device-path", null)]
    [InlineData(@"\\?\PCI##x", null)]
    public void Maps_a_gpu_instance_path_to_its_pnp_device_id(string instancePath, string? expected)
        => Assert.Equal(expected, GpuDeviceIds.FromInstancePath(instancePath));

    [Fact]
    public void Classifies_gpus_like_windows_admin_center()
    {
        var working = new PnpDevice(@"PCI\VEN_10DE&DEV_25B6\4&1", "NVIDIA A2", "NVIDIA", "OK", 0);
        var broken = working with { Status = "Error", ConfigManagerErrorCode = 43 };
        var partitioned = new PartitionableGpu("x", AnyPath, [16, 8, 4, 2], 4, new GpuResources(Zero, Zero, Zero, Zero));
        var sriovOff = partitioned with { ValidPartitionCounts = [], PartitionCount = 0 };

        Assert.Equal(GpuAssignedStatus.Partitioned, GpuStatusClassifier.Classify(working, partitioned));
        Assert.Equal(GpuAssignedStatus.Paravirtualization, GpuStatusClassifier.Classify(working, sriovOff));
        Assert.Equal(GpuAssignedStatus.ReadyForDda, GpuStatusClassifier.Classify(working, null));
        Assert.Equal(GpuAssignedStatus.NotAssignable, GpuStatusClassifier.Classify(broken, partitioned));
        Assert.Equal(GpuAssignedStatus.NotAssignable, GpuStatusClassifier.Classify(working with { DeviceId = @"ROOT\BasicDisplay\0000" }, null));
    }

    [Theory]
    [InlineData(@"PCI\VEN_1A03&DEV_2000&SUBSYS_20001A03&REV_41\4&2a6d3c1&0&0018", "ASPEED Graphics Family")]
    [InlineData(@"PCI\VEN_102B&DEV_0536&SUBSYS_0A6B1028&REV_04\3&11583659&0&C0", "Matrox G200eR2")]
    public void A_bmc_vga_is_not_a_gpu_ready_for_dda(string deviceId, string name)
    {
        var bmc = new PnpDevice(deviceId, name, null, "OK", 0);

        Assert.True(BaseboardManagementVga.Is(bmc));
        Assert.Equal(GpuAssignedStatus.NotAssignable, GpuStatusClassifier.Classify(bmc, null));
    }

    [Fact]
    public async Task Lists_display_devices_with_driver_status_from_pnp()
    {
        var cluster = Emulator.Cluster();
        var gpu = Emulator.GpuPath(cluster, "node1", 1);
        cluster.SetPnpStatus("node1", gpu, "Error", 43);

        var devices = await Emulator.Host(cluster).Devices.ListAsync(CancellationToken.None);

        Assert.Equal(3, devices.Count);
        var broken = devices.Single(d => d.DeviceId == GpuDeviceIds.FromInstancePath(gpu));
        Assert.False(broken.IsWorking);
        Assert.Equal("3D Video Controller", broken.Name);
        Assert.Equal(43, broken.ConfigManagerErrorCode);
        Assert.All(devices.Where(d => d != broken), d => Assert.Equal("NVIDIA A2", d.Name));
    }
}
