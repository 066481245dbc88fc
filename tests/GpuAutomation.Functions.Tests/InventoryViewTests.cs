using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.Functions.Api;

namespace GpuAutomation.Functions.Tests;

public sealed class InventoryViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_inventory_view_shows_each_gpus_driver_version_and_none_where_the_agent_sent_none()
    {
        GpuInventory Gpu(string path, GpuDriver? driver)
            => new(path, null, "NVIDIA", "NVIDIA A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2, 1], 4, null, [], driver);
        var node = new NodeInventory("node1", Now, new HostFacts("26100", true, true), [Gpu("g1", new GpuDriver("32.0.15.5324", "NVIDIA")), Gpu("g2", null)], []);

        var view = ApiViews.Inventory(new ClusterInventory("cl1", [node]), Now);

        Assert.Equal(["32.0.15.5324", null], view.Nodes[0].Gpus.Select(g => g.DriverVersion));
        Assert.Equal(16384, view.Nodes[0].Gpus[0].MemoryMiB);
    }
}
