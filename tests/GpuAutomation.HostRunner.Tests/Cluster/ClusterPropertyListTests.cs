using GpuAutomation.HostRunner.Cluster;

namespace GpuAutomation.HostRunner.Tests.Cluster;

public sealed class ClusterPropertyListTests
{
    [Fact]
    public void The_live_migration_list_is_one_dword_property_named_virtual_machine_in_the_clusapi_layout()
    {
        var list = ClusterPropertyList.Dword(ClusterPropertyList.VirtualMachineProperty, ClusterPropertyList.ContextLiveMigration);

        // count 1 | CLUSPROP_SYNTAX_NAME | 32 bytes ("Virtual Machine" + NUL in UTF-16) | name | DWORD syntax | 4 | 4 | ENDMARK
        byte[] expected =
        [
            1, 0, 0, 0,
            0x03, 0x00, 0x04, 0x00,
            32, 0, 0, 0,
            .. System.Text.Encoding.Unicode.GetBytes("Virtual Machine\0"),
            0x02, 0x00, 0x01, 0x00,
            4, 0, 0, 0,
            4, 0, 0, 0,
            0, 0, 0, 0,
        ];
        Assert.Equal(expected, list);
        Assert.Equal(("Virtual Machine", 4u), ClusterPropertyList.ReadDword(list));
    }

    [Fact]
    public void A_name_whose_length_is_not_a_multiple_of_four_bytes_is_padded_and_reads_back()
    {
        var list = ClusterPropertyList.Dword("VM", 1);

        Assert.Equal(0, list.Length % 4);
        Assert.Equal(("VM", 1u), ClusterPropertyList.ReadDword(list));
    }

    [Fact]
    public void Malformed_lists_read_as_null()
    {
        var list = ClusterPropertyList.Dword(ClusterPropertyList.VirtualMachineProperty, 4);

        Assert.Null(ClusterPropertyList.ReadDword(list[..^4]));
        Assert.Null(ClusterPropertyList.ReadDword([2, 0, 0, 0, .. list[4..]]));
        Assert.Null(ClusterPropertyList.ReadDword([]));
    }

    [Theory]
    [InlineData(5005u, 5005u)]
    [InlineData(0x800713CFu, 5071u)]
    [InlineData(0x80004005u, 0x80004005u)]
    public void Win32_codes_are_read_plain_or_from_their_hresult(uint native, uint win32)
        => Assert.Equal(win32, ClusterWin32Errors.Win32Of(native));
}
