using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tests.Devices;

public sealed class NvidiaSmiLogTests
{
    // Shaped like public captures of nvidia-smi -q -x (DOCTYPE naming the DTD, "N/A" for what a driver lacks).
    private const string Capture = """
        <?xml version="1.0" ?>
        <!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
        <nvidia_smi_log>
            <timestamp>Sun Nov 29 03:30:00 2026</timestamp>
            <driver_version>553.24</driver_version>
            <cuda_version>12.4</cuda_version>
            <attached_gpus>2</attached_gpus>
            <gpu id="00000000:3B:00.0">
                <product_name>NVIDIA A2</product_name>
                <gpu_virtualization_mode>
                    <virtualization_mode>Host VGPU</virtualization_mode>
                    <host_vgpu_mode>SR-IOV</host_vgpu_mode>
                </gpu_virtualization_mode>
                <pci>
                    <pci_bus>3B</pci_bus>
                    <pci_device>00</pci_device>
                    <pci_domain>0000</pci_domain>
                    <pci_bus_id>00000000:3B:00.0</pci_bus_id>
                </pci>
                <fb_memory_usage>
                    <total>15356 MiB</total>
                    <used>2048 MiB</used>
                </fb_memory_usage>
                <utilization>
                    <gpu_util>37 %</gpu_util>
                    <memory_util>12 %</memory_util>
                    <encoder_util>0 %</encoder_util>
                    <decoder_util>0 %</decoder_util>
                </utilization>
            </gpu>
            <gpu id="00000000:AF:00.1">
                <product_name>NVIDIA A2</product_name>
                <gpu_virtualization_mode>
                    <virtualization_mode>None</virtualization_mode>
                    <host_vgpu_mode>N/A</host_vgpu_mode>
                </gpu_virtualization_mode>
                <pci>
                    <pci_bus>AF</pci_bus>
                    <pci_device>00</pci_device>
                    <pci_bus_id>00000000:AF:00.1</pci_bus_id>
                </pci>
                <utilization>
                    <gpu_util>N/A</gpu_util>
                    <memory_util>N/A</memory_util>
                </utilization>
            </gpu>
        </nvidia_smi_log>
        """;

    [Fact]
    public void Reads_driver_version_pci_location_memory_and_virtualization_mode()
    {
        var log = NvidiaSmiLog.Parse(Capture);

        Assert.Equal("553.24", log.DriverVersion);
        Assert.Equal(new NvidiaSmiGpu("NVIDIA A2", "00000000:3B:00.0", 0x3B, 0, 0, 15356, "Host VGPU", "SR-IOV", 37, 12, 2048), log.Gpus[0]);
        Assert.Equal(new NvidiaSmiGpu("NVIDIA A2", "00000000:AF:00.1", 0xAF, 0, 1, null, "None", null), log.Gpus[1]);
    }

    [Fact]
    public void Utilization_the_tool_reports_as_N_A_or_leaves_out_is_absent_not_zero()
    {
        var log = NvidiaSmiLog.Parse(Capture);

        Assert.Equal((37, 12, 2048L), (log.Gpus[0].GpuUtilizationPercent, log.Gpus[0].MemoryUtilizationPercent, log.Gpus[0].MemoryUsedMiB));
        Assert.Null(log.Gpus[1].GpuUtilizationPercent);
        Assert.Null(log.Gpus[1].MemoryUtilizationPercent);
        Assert.Null(log.Gpus[1].MemoryUsedMiB);
    }

    [Theory]
    [InlineData("not xml")]
    [InlineData("<other_log/>")]
    public void Output_that_is_not_an_nvidia_smi_log_is_refused(string xml)
        => Assert.Throws<NvidiaSmiException>(() => NvidiaSmiLog.Parse(xml));

    [Theory]
    [InlineData("PCI bus 59, device 0, function 0", 59, 0, 0)]
    [InlineData("PCI bus 175, device 0, function 1", 175, 0, 1)]
    public void Reads_a_pci_location_text(string location, int bus, int device, int function)
        => Assert.Equal((bus, device, function), DisplayDrivers.PciLocation(location));

    [Fact]
    public void Memory_comes_from_total_vram_in_bytes_else_from_nvidia_smi()
    {
        var zero = new PartitionResource(0, 0, 0, 0, 0);
        PartitionableGpu Gpu(ulong totalVram) => new(
            "x",
            new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, [new("Name", "x")]),
            [16, 8, 4, 2, 1],
            4,
            new GpuResources(zero with { Total = totalVram }, zero, zero, zero));
        var board = NvidiaSmiLog.Parse(Capture).Gpus[0];

        Assert.Equal(16384, HostInventoryReader.MemoryMiBOf(Gpu(16UL << 30), board));
        Assert.Equal(15356, HostInventoryReader.MemoryMiBOf(Gpu(1_000_000_000), board));
        Assert.Null(HostInventoryReader.MemoryMiBOf(Gpu(1_000_000_000), null));
    }

    [Fact]
    public void An_unknown_location_form_is_null()
        => Assert.Null(DisplayDrivers.PciLocation("On board"));
}
