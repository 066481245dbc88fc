using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Tests.Cim;

public sealed class CimInstancePathTests
{
    [Fact]
    public void Renders_the_wmi_object_path_with_escaped_keys()
    {
        var path = new CimInstancePath(@"root\virtualization\v2", "Msvm_PartitionableGpu", [
            new("CreationClassName", "Msvm_PartitionableGpu"),
            new("Name", @"\\?\PCI#VEN_10DE&DEV_25B6#4&1&0&0000#{064092b3}"),
        ], "NODE1");

        Assert.Equal(
            @"\\NODE1\root\virtualization\v2:Msvm_PartitionableGpu.CreationClassName=""Msvm_PartitionableGpu"",Name=""\\\\?\\PCI#VEN_10DE&DEV_25B6#4&1&0&0000#{064092b3}""",
            path.ToWmiPath());
    }

    [Theory]
    [InlineData("plain")]
    [InlineData(@"back\slash")]
    [InlineData("quote\"d, and.dotted=yes")]
    public void Parse_reads_back_what_ToWmiPath_wrote(string key)
    {
        var path = new CimInstancePath(@"root\MSCluster", "MSCluster_Resource", [new("Name", key)]);
        var parsed = CimInstancePath.Parse(path.ToWmiPath());
        Assert.Equal(path, parsed);
        Assert.Equal(key, parsed.KeyValue("Name"));
    }

    [Theory]
    [InlineData("not a path")]
    [InlineData(@"root\cimv2:Win32_PnPEntity")]
    [InlineData(@"root\cimv2:Win32_PnPEntity.DeviceID=""unterminated")]
    public void Malformed_paths_are_refused(string text)
        => Assert.Equal(CimErrors.InvalidPath, Assert.Throws<CimException>(() => CimInstancePath.Parse(text)).Code);
}
