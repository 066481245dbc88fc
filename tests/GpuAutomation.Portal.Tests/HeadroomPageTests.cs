using GpuAutomation.Contracts.Reports;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// The cluster page's failover headroom against a control plane seeded with a cluster whose figures the test chose:
/// node-a holds 3 GPU VMs (1 partition free), node-b and node-c 1 each (1 free each). Losing node-a leaves 2 free
/// partitions for 3 VMs: one would not restart; node-b's and node-c's losses strand nothing.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class HeadroomPageTests(PortalFixture portal)
{
    private const string Cluster = "gpu-lab";

    private static NodeInventory[] Lab() =>
    [
        SeededControlPlane.Node("node-a", 2, ["desk-1", "desk-2", "desk-3"], "desk-4"),
        SeededControlPlane.Node("node-b", 1, ["cad-1"], "cad-2"),
        SeededControlPlane.Node("node-c", 1, ["render-1"]),
    ];

    [Fact]
    public async Task Headroom_names_the_gpu_vms_a_node_loss_would_strand_where_the_others_could_go_and_whether_the_reserve_holds()
    {
        await using var plane = await SeededControlPlane.StartAsync(Cluster, Lab());
        await plane.SendAsync(HttpMethod.Put, $"/api/clusters/{Cluster}/policy", """{"rules":[],"reserve":"n+1"}""");
        var page = await portal.NewPageAsync();
        await page.GotoAsync(plane.PortalAddress + $"#/clusters/{Cluster}");

        var headroom = page.Locator("#headroom");
        await Assertions.Expect(headroom.GetByRole(AriaRole.Heading, new() { Name = "Failover headroom" })).ToBeVisibleAsync();
        await Assertions.Expect(headroom).ToContainTextAsync("does not survive every node's loss");
        await Assertions.Expect(headroom).ToContainTextAsync("Losing node-a would strand 1 GPU VM.");

        var losses = headroom.GetByRole(AriaRole.Table, new() { Name = "If one node is lost" });
        ILocator Row(string node) => losses.Locator("tbody tr", new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = node }) });
        await Assertions.Expect(Row("node-a").Locator("td").Nth(0)).ToHaveTextAsync("desk-1, desk-2, desk-3");
        await Assertions.Expect(Row("node-a").Locator("td").Nth(1)).ToHaveTextAsync("2");
        await Assertions.Expect(Row("node-a").Locator("td").Nth(2)).ToContainTextAsync("1 of 3 GPU VMs would not restart");
        await Assertions.Expect(Row("node-a").Locator("td").Nth(2)).ToContainTextAsync("At risk: desk-1, desk-2, desk-3");
        await Assertions.Expect(Row("node-a").Locator("td").Nth(3)).ToHaveTextAsync("node-b (1 free partition), node-c (1 free partition)");
        await Assertions.Expect(Row("node-a").GetByRole(AriaRole.Rowheader)).ToContainTextAsync("worst");
        await Assertions.Expect(Row("node-b").Locator("td").Nth(2)).ToHaveTextAsync("none");
        await Assertions.Expect(Row("node-b").Locator("td").Nth(3)).ToHaveTextAsync("node-a (1 free partition), node-c (1 free partition)");
        await Assertions.Expect(Row("node-c").Locator("td").Nth(0)).ToHaveTextAsync("render-1");
        await Assertions.Expect(Row("node-c").Locator("td").Nth(2)).ToHaveTextAsync("none");

        // n+1 as admission counts it: node-a's 3 GPU VMs need 3 free partitions on the others, 2 are.
        var reserve = headroom.Locator("#reserve");
        await Assertions.Expect(reserve).ToContainTextAsync("n+1");
        await Assertions.Expect(reserve.Locator(".badge")).ToHaveTextAsync("breached");
        await Assertions.Expect(reserve).ToContainTextAsync("Losing node node-a would need 3 free partition(s) on the other nodes for its GPU VM(s); 2 are free there: below the reserve.");
        await Assertions.Expect(reserve).ToContainTextAsync("refused (headroom-reserved)");
        await Artifacts.ScreenshotAsync(page, "cluster-headroom");

        // Freeing a partition on node-b (cad-1 gone) is seen on the next poll: the cluster now survives any one loss.
        await plane.SeedAsync(Cluster, SeededControlPlane.Node("node-b", 1, []));
        await Assertions.Expect(headroom).ToContainTextAsync("survives any one node's loss", new() { Timeout = 15_000 });
        await Assertions.Expect(reserve.Locator(".badge")).ToHaveTextAsync("holds");
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_single_node_cluster_says_there_is_nowhere_to_restart_and_a_cluster_without_inventory_says_so()
    {
        await using var plane = await SeededControlPlane.StartAsync("solo", SeededControlPlane.Node("only-node", 1, ["vdi-9"]));
        var page = await portal.NewPageAsync();
        await page.GotoAsync(plane.PortalAddress + "#/clusters/solo");
        var headroom = page.Locator("#headroom");
        await Assertions.Expect(headroom).ToContainTextAsync("One node only: there is no other node to restart its GPU VMs on; losing only-node stops vdi-9.");
        await Assertions.Expect(headroom.Locator(".badge").First).ToHaveTextAsync("single node");
        await Assertions.Expect(headroom.Locator("tbody tr").Locator("td").Nth(3)).ToHaveTextAsync("nowhere: no free partition on another node");
        await Assertions.Expect(headroom.Locator("#reserve")).ToContainTextAsync("The policy keeps no reserve");

        // A cluster no node has reported for: said in words, not as a bare 404.
        await page.GotoAsync(plane.PortalAddress + "#/clusters/not-yet");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cluster not-yet" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("No node of cluster not-yet has reported inventory yet");
        await Assertions.Expect(page.Locator("#headroom")).ToContainTextAsync("headroom can't be computed");
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }
}
