using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Platform;

namespace GpuAutomation.HostRunner.Tests.Platform;

public sealed class LiveMigrationPrerequisitesTests
{
    [Theory]
    [InlineData(null, "572.60", 572)]
    [InlineData("32.0.15.5324", null, 553)]
    [InlineData("32.0.15.7260", null, 572)]
    [InlineData("32.0.15.7260", "570.124", 570)]
    [InlineData("garbage", null, null)]
    [InlineData(null, null, null)]
    public void The_nvidia_release_is_read_from_nvidia_smi_first_then_from_the_windows_version(string? windows, string? smi, int? release)
        => Assert.Equal(release, LiveMigrationPrerequisites.NvidiaReleaseOf(new GpuDriver(windows, "NVIDIA", smi)));

    [Fact]
    public void A_node_on_26100_with_vgpu_18_has_no_problem_and_an_older_one_names_each()
    {
        var ready = LiveMigrationPrerequisites.Problems("node1", new OperatingSystemFacts("26100", 26100, null, 406), [Gpu("32.0.15.7260")]);
        var old = LiveMigrationPrerequisites.Problems("node1", new OperatingSystemFacts("25398", 25398, null, 406), [Gpu("32.0.15.5324"), Gpu(null)]);

        Assert.Empty(ready);
        Assert.Equal(3, old.Count);
        Assert.Contains(old, p => p.Contains("build 25398", StringComparison.Ordinal));
        Assert.Contains(old, p => p.Contains("R553", StringComparison.Ordinal));
        Assert.Contains(old, p => p.Contains("no readable version", StringComparison.Ordinal));
    }

    private static GpuInventory Gpu(string? driver)
        => new(@"\\?\PCI#VEN_10DE", null, "NVIDIA", "NVIDIA A2", null, "OK", 0, GpuAssignedStatus.Partitioned, [4], 4, null, [], new GpuDriver(driver, "NVIDIA"));
}
