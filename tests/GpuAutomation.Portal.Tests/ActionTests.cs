using System.Text.Json;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class ActionTests(PortalFixture portal)
{
    private const string Vm = "vdi-01";

    [Fact]
    public async Task Assign_from_the_portal_says_what_will_happen_and_follows_the_request_to_Succeeded_without_a_reload()
    {
        var cluster = portal.Sandbox.ClusterName;
        var node = VmNode(await portal.GetJsonAsync($"/api/clusters/{cluster}/inventory"), Vm);
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");

        // Keyboard only: focus the row's action and press Enter.
        var assign = page.GetByRole(AriaRole.Button, new() { Name = $"Assign partition to {Vm}" });
        await assign.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Assign a GPU partition to {Vm}" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog.Locator(".what")).ToHaveTextAsync(
            $"VM {Vm} will be shut down (forced), get a partition on a GPU Hyper-V picks of node {node}, "
            + "its cluster resource's OfflineAction set to forced shutdown, then be started again.");
        await Artifacts.ScreenshotAsync(page, "assign-dialog");

        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Assign partition" }).ClickAsync();
        await Assertions.Expect(dialog.Locator(".request-status")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });
        await Assertions.Expect(dialog.Locator(".timeline li").First).ToBeVisibleAsync();
        await Artifacts.ScreenshotAsync(page, "assign-succeeded");
        Assert.Equal(0, navigations);

        // The control plane agrees: the VM holds a partition and its request succeeded.
        var after = await portal.GetJsonAsync($"/api/clusters/{cluster}/inventory");
        Assert.NotEqual(JsonValueKind.Null, FindVm(after, Vm).GetProperty("partition").ValueKind);
        var requestLink = dialog.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Request ") });
        var requestId = (await requestLink.TextContentAsync())!["Request ".Length..];
        var request = await portal.GetJsonAsync($"/api/partition-requests/{requestId}");
        Assert.Equal("Succeeded", request.GetProperty("status").GetString());
        Assert.Equal("developer (development identity)", request.GetProperty("requestedBy").GetString());

        // The request page shows every step the host reported.
        await requestLink.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Request {requestId}" })).ToBeVisibleAsync();
        var steps = request.GetProperty("steps").EnumerateArray().ToList();
        Assert.NotEmpty(steps);
        await Assertions.Expect(page.Locator(".timeline li")).ToHaveCountAsync(steps.Count);
        await Assertions.Expect(page.Locator(".timeline li").First).ToContainTextAsync(steps[0].GetProperty("name").GetString()!);
        await Artifacts.ScreenshotAsync(page, "request");

        // With a partition assigned, a count change is refused before it is sent, and the dialog says why.
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change partition count…" }).ClickAsync();
        await Assertions.Expect(page.Locator("#count-effect")).ToContainTextAsync($"Refused while partitions are assigned: {Vm} ({node})");
        await Assertions.Expect(page.Locator("#dialog-confirm")).ToBeDisabledAsync();
        await page.Keyboard.PressAsync("Escape");

        // Unassign puts the cluster back as the other tests expect it.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Remove partition of {Vm}" }).ClickAsync();
        var remove = page.GetByRole(AriaRole.Dialog, new() { Name = $"Remove the GPU partition of {Vm}" });
        await remove.GetByRole(AriaRole.Button, new() { Name = "Remove partition" }).ClickAsync();
        await Assertions.Expect(remove.Locator(".request-status")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Only_eligible_vms_get_an_assign_action()
    {
        var cluster = portal.Sandbox.ClusterName;
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");
        // render-02 is used by no other test: it is eligible whatever they left assigned.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Assign partition to render-02" })).ToBeVisibleAsync();

        // The Sandbox's "local-only" VM is not clustered: OfflineAction can't be set, so it is not offered.
        var localOnly = page.Locator("tr", new PageLocatorOptions { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "local-only", Exact = true }) });
        await Assertions.Expect(localOnly).ToContainTextAsync("not clustered");
        await Assertions.Expect(localOnly.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    private static JsonElement FindVm(JsonElement inventory, string name)
        => inventory.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("vms").EnumerateArray()).Single(v => v.GetProperty("name").GetString() == name);

    private static string VmNode(JsonElement inventory, string name)
        => inventory.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("vms").EnumerateArray().Any(v => v.GetProperty("name").GetString() == name)).GetProperty("node").GetString()!;
}
