using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Tests;

public sealed class ResourceNamesTests
{
    [Theory]
    [InlineData("node1", true)]
    [InlineData("HV-NODE-01", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("-node", false)]
    [InlineData("node-", false)]
    [InlineData("node.1", false)]
    [InlineData("node_1", false)]
    [InlineData("nöde", false)]
    public void Host_names_are_dns_labels(string name, bool valid)
        => Assert.Equal(valid, ResourceNames.IsValidHostName(name));

    [Fact]
    public void Host_names_are_at_most_63_characters()
    {
        Assert.True(ResourceNames.IsValidHostName(new string('n', 63)));
        Assert.False(ResourceNames.IsValidHostName(new string('n', 64)));
    }

    [Theory]
    [InlineData("gpu-vm-01", true)]
    [InlineData("O'Brien's VM", true)]
    [InlineData("vm ' OR '1'='1", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData("vm\nname", false)]
    [InlineData("vm\0name", false)]
    public void Vm_names_are_bounded_printable_text(string name, bool valid)
        => Assert.Equal(valid, ResourceNames.IsValidVmName(name));
}
