using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Tests.Cim;

public sealed class CimXmlTests
{
    private const string Ns = @"root\virtualization\v2";

    [Fact]
    public void Writes_a_gpu_partition_setting_as_dmtf_cim_xml()
    {
        var instance = new CimInstance(Ns, "Msvm_GpuPartitionSettingData", [
            new("InstanceID", new CimValue.Text(@"Microsoft:Definition\ABC\Default")),
            new("MaxPartitionVRAM", new CimValue.UInt64(1_000_000_000)),
            new("MaxPartitionEncode", new CimValue.UInt64(ulong.MaxValue)),
            new("ResourceType", new CimValue.UInt16(32770)),
            new("HostResource", new CimValue.TextArray([@"\\N1\root\virtualization\v2:Msvm_PartitionableGpu.CreationClassName=""Msvm_PartitionableGpu"",Name=""\\\\?\\PCI#VEN_10DE&DEV_25B6#4&1&0&0000"""])),
            new("ElementName", null),
        ], ["InstanceID"]);

        var xml = CimXml.Write(instance);

        // ElementName is a NULL whose type nobody declared: omitted, rather than guessed.
        Assert.Equal(
            "<INSTANCE CLASSNAME=\"Msvm_GpuPartitionSettingData\">"
            + "<PROPERTY.ARRAY NAME=\"HostResource\" TYPE=\"string\"><VALUE.ARRAY><VALUE>\\\\N1\\root\\virtualization\\v2:Msvm_PartitionableGpu.CreationClassName=\"Msvm_PartitionableGpu\",Name=\"\\\\\\\\?\\\\PCI#VEN_10DE&amp;DEV_25B6#4&amp;1&amp;0&amp;0000\"</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>"
            + "<PROPERTY NAME=\"InstanceID\" TYPE=\"string\"><VALUE>Microsoft:Definition\\ABC\\Default</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"MaxPartitionEncode\" TYPE=\"uint64\"><VALUE>18446744073709551615</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"MaxPartitionVRAM\" TYPE=\"uint64\"><VALUE>1000000000</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"ResourceType\" TYPE=\"uint16\"><VALUE>32770</VALUE></PROPERTY>"
            + "</INSTANCE>",
            xml);
    }

    [Fact]
    public void Writes_the_default_template_as_wmi_does_with_typed_nulls_and_a_null_array()
    {
        // The Default template as read from a host (declared types from MI): its twelve values NULL, HostResource a
        // NULL string[]. In CIM-DTD 2.0 (GetText(1)) a NULL keeps TYPE and has no VALUE; an array is PROPERTY.ARRAY.
        var values = new[] { "MaxPartitionVRAM", "MinPartitionVRAM" };
        var instance = new CimInstance(
            Ns,
            "Msvm_GpuPartitionSettingData",
            [
                new("InstanceID", new CimValue.Text(@"Microsoft:Definition\ABC\Default")),
                new("HostResource", null),
                new("ResourceType", new CimValue.UInt16(32770)),
                .. values.Select(v => new KeyValuePair<string, CimValue?>(v, null)),
            ],
            ["InstanceID"],
            null,
            [new("HostResource", CimType.StringArray), new("InstanceID", CimType.String), new("ResourceType", CimType.UInt16), .. values.Select(v => new KeyValuePair<string, CimType>(v, CimType.UInt64))]);

        Assert.Equal(
            "<INSTANCE CLASSNAME=\"Msvm_GpuPartitionSettingData\">"
            + "<PROPERTY.ARRAY NAME=\"HostResource\" TYPE=\"string\" />"
            + "<PROPERTY NAME=\"InstanceID\" TYPE=\"string\"><VALUE>Microsoft:Definition\\ABC\\Default</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"MaxPartitionVRAM\" TYPE=\"uint64\" />"
            + "<PROPERTY NAME=\"MinPartitionVRAM\" TYPE=\"uint64\" />"
            + "<PROPERTY NAME=\"ResourceType\" TYPE=\"uint16\"><VALUE>32770</VALUE></PROPERTY>"
            + "</INSTANCE>",
            CimXml.Write(instance));
    }

    [Fact]
    public void Writes_datetimes_and_intervals_in_dmtf_form()
    {
        // learn.microsoft.com/windows/win32/wmisdk/cim-datetime and interval-format; never ISO 8601.
        var instance = new CimInstance(Ns, "Msvm_VirtualSystemSettingData", [
            new("CreationTime", new CimValue.DateTime(new DateTimeOffset(2026, 11, 28, 17, 5, 9, TimeSpan.FromMinutes(-480)).AddTicks(1234560))),
            new("AutomaticStartupActionDelay", new CimValue.Interval(new TimeSpan(1, 2, 3, 4) + TimeSpan.FromTicks(50))),
        ], ["InstanceID"]);

        var xml = CimXml.Write(instance);

        Assert.Equal(
            "<INSTANCE CLASSNAME=\"Msvm_VirtualSystemSettingData\">"
            + "<PROPERTY NAME=\"AutomaticStartupActionDelay\" TYPE=\"datetime\"><VALUE>00000001020304.000005:000</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"CreationTime\" TYPE=\"datetime\"><VALUE>20261128170509.123456-480</VALUE></PROPERTY>"
            + "</INSTANCE>",
            xml);
        Assert.Equal(instance, CimXml.Read(xml, Ns, ["InstanceID"]));
    }

    [Fact]
    public void Writes_booleans_and_escapes_markup_in_values()
    {
        var instance = new CimInstance(Ns, "Msvm_VirtualSystemSettingData", [
            new("GuestControlledCacheTypes", new CimValue.Boolean(true)),
            new("ElementName", new CimValue.Text("<b>&\"x\"</b>")),
            new("LowMmioGapSize", new CimValue.UInt64(1024)),
        ], ["InstanceID"]);

        Assert.Equal(
            "<INSTANCE CLASSNAME=\"Msvm_VirtualSystemSettingData\">"
            + "<PROPERTY NAME=\"ElementName\" TYPE=\"string\"><VALUE>&lt;b&gt;&amp;\"x\"&lt;/b&gt;</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"GuestControlledCacheTypes\" TYPE=\"boolean\"><VALUE>TRUE</VALUE></PROPERTY>"
            + "<PROPERTY NAME=\"LowMmioGapSize\" TYPE=\"uint64\"><VALUE>1024</VALUE></PROPERTY>"
            + "</INSTANCE>",
            CimXml.Write(instance));
    }

    [Fact]
    public void Reading_what_was_written_gives_the_same_instance()
    {
        var instance = new CimInstance(Ns, "Msvm_GpuPartitionSettingData", [
            new("InstanceID", new CimValue.Text(@"Microsoft:1234\5678")),
            new("OptimalPartitionCompute", new CimValue.UInt64(62_500_000)),
            new("ValidCounts", new CimValue.UInt16Array([16, 8, 4, 2])),
            new("HostResource", new CimValue.TextArray([])),
            new("Flag", new CimValue.Boolean(false)),
            new("Count", new CimValue.UInt32(7)),
            new("Delta", new CimValue.SInt32(-3)),
            new("Nothing", null),
        ], ["InstanceID"], null, [new("Nothing", CimType.UInt64)]);

        var read = CimXml.Read(CimXml.Write(instance), Ns, ["InstanceID"]);

        Assert.Equal(instance, read);
        Assert.Equal(instance.Path, read.Path);
        Assert.Equal(CimType.UInt64, read.TypeOf("Nothing"));
    }

    [Theory]
    [InlineData("<INSTANCE")]
    [InlineData("<CLASS NAME=\"x\"/>")]
    [InlineData("<INSTANCE CLASSNAME=\"C\"><PROPERTY NAME=\"A\" TYPE=\"uint16\"><VALUE>70000</VALUE></PROPERTY></INSTANCE>")]
    [InlineData("<INSTANCE CLASSNAME=\"C\"><PROPERTY NAME=\"A\" TYPE=\"uint16\"><VALUE>abc</VALUE></PROPERTY></INSTANCE>")]
    [InlineData("<INSTANCE CLASSNAME=\"C\"><PROPERTY TYPE=\"string\"/></INSTANCE>")]
    public void Malformed_cim_xml_is_refused_with_a_code(string xml)
    {
        var error = Assert.Throws<CimException>(() => CimXml.Read(xml, Ns, []));
        Assert.Equal(CimErrors.MalformedXml, error.Code);
    }
}
