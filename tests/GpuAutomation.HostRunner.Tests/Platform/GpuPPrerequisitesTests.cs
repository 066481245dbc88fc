using GpuAutomation.HostRunner.Platform;

namespace GpuAutomation.HostRunner.Tests.Platform;

public sealed class GpuPPrerequisitesTests
{
    [Theory]
    [InlineData(26100, "Microsoft Azure Stack HCI", 406, true, 0)]
    [InlineData(25398, "Microsoft Azure Stack HCI", 406, true, 0)]
    [InlineData(20349, "Microsoft Azure Stack HCI", 406, true, 0)]
    [InlineData(17784, "Microsoft Azure Stack HCI", 406, true, 1)]
    [InlineData(26100, "Microsoft Windows Server 2025 Datacenter", 8, true, 0)]
    [InlineData(26100, "Microsoft Windows Server 2025 Datacenter", 12, true, 0)]
    [InlineData(20348, "Microsoft Windows Server 2022 Datacenter", 8, true, 1)]
    [InlineData(26100, "Microsoft Windows Server 2025 Standard", 7, false, 0)]
    [InlineData(26100, "Microsoft Windows Server 2025 Standard", 7, true, 1)]
    [InlineData(26100, "Microsoft Windows 11 Pro", 48, false, 1)]
    public void Build_and_edition_are_judged_by_the_sku(int build, string caption, int sku, bool clustered, int problems)
        => Assert.Equal(problems, GpuPPrerequisites.Problems(new OperatingSystemFacts(build.ToString(System.Globalization.CultureInfo.InvariantCulture), build, caption, sku), clustered).Count);

    [Fact]
    public void The_sku_decides_over_a_caption_that_may_be_localized()
    {
        var os = new OperatingSystemFacts("26100", 26100, "Microsoft Windows Server 2025 Rechenzentrum", 8);

        Assert.Equal(OsEdition.Datacenter, GpuPPrerequisites.EditionOf(os));
        Assert.Empty(GpuPPrerequisites.Problems(os, clustered: true));
    }

    [Fact]
    public void Without_a_sku_the_caption_is_read_and_an_unknown_os_is_a_problem()
    {
        Assert.Equal(OsEdition.AzureLocal, GpuPPrerequisites.EditionOf(new OperatingSystemFacts("25398", 25398, "Microsoft Azure Stack HCI", null)));
        Assert.Single(GpuPPrerequisites.Problems(new OperatingSystemFacts("unknown", 0, null, null), clustered: false));
    }
}
