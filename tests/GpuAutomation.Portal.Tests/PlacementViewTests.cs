using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// A request the policy placed on another node shows "placed on X from Y", against a control plane seeded with a full
/// node-a and a free node-b and a policy that moves VMs that are off. No agent runs there, so the move stays in flight.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class PlacementViewTests(PortalFixture portal)
{
    private const string Cluster = "place-lab";

    [Fact]
    public async Task A_request_placed_on_another_node_says_where_from_how_and_why_on_its_page_and_in_the_list()
    {
        await using var plane = await SeededControlPlane.StartAsync(Cluster,
            SeededControlPlane.Node("node-a", 1, ["desk-1", "desk-2"], "desk-3"),
            SeededControlPlane.Node("node-b", 1, []));
        await plane.SendAsync(HttpMethod.Put, $"/api/clusters/{Cluster}/policy", """{"rules":[],"moves":"when-off"}""");
        var request = await plane.SendAsync(HttpMethod.Post, "/api/partition-requests", $$"""{"cluster":"{{Cluster}}","vm":"desk-3","action":"assign"}""");
        var placement = request.GetProperty("placement");
        Assert.Equal(("node-a", "node-b"), (placement.GetProperty("from").GetString(), placement.GetProperty("to").GetString()));
        var id = request.GetProperty("id").GetString()!;

        var page = await portal.NewPageAsync();
        await page.GotoAsync(plane.PortalAddress + $"#/requests/{id}");
        var fact = page.Locator("#placement");
        await Assertions.Expect(fact).ToContainTextAsync("placed on node-b from node-a by a quick move; still moving.");
        await Assertions.Expect(fact).ToContainTextAsync(placement.GetProperty("reason").GetString()!);
        await Assertions.Expect(fact.GetByRole(AriaRole.Link, new() { Name = "Move request" }))
            .ToHaveAttributeAsync("href", $"#/requests/{placement.GetProperty("moveRequestId").GetString()}");
        await Artifacts.ScreenshotAsync(page, "request-placed");

        await page.GotoAsync(plane.PortalAddress + "#/requests");
        var row = page.Locator("tr", new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = id }) });
        await Assertions.Expect(row).ToContainTextAsync("placed on node-b from node-a");
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }
}
