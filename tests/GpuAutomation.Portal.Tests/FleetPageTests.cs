using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class FleetPageTests(PortalFixture portal)
{
    [Fact]
    public async Task Fleet_page_shows_each_cluster_with_the_inventory_the_api_reports()
    {
        var inventory = await portal.GetJsonAsync($"/api/clusters/{portal.Sandbox.ClusterName}/inventory");
        var nodes = inventory.GetProperty("nodes").GetArrayLength();
        var gpus = inventory.GetProperty("nodes").EnumerateArray().Sum(n => n.GetProperty("gpus").GetArrayLength());
        var total = inventory.GetProperty("totalPartitions").GetInt32();
        Assert.True(nodes > 0 && gpus > 0 && total > 0, "the simulated cluster reports nodes, GPUs and partitions");

        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + "#/fleet");
        var row = page.Locator("tr", new PageLocatorOptions { Has = page.GetByRole(AriaRole.Link, new() { Name = portal.Sandbox.ClusterName, Exact = true }) });
        var cells = row.Locator("td");
        await Assertions.Expect(cells.Nth(0)).ToHaveTextAsync(nodes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(cells.Nth(1)).ToHaveTextAsync(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(cells.Nth(2)).ToHaveTextAsync(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(row).ToContainTextAsync("homogeneous");
        await Artifacts.ScreenshotAsync(page, "fleet");
        await page.Context.CloseAsync();
    }
}
