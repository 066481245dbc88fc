using Microsoft.Extensions.DependencyInjection;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// A control plane of its own (the Sandbox's app without agents: a second full Sandbox in this process would share
/// the agents' journal folders), stopped under a page that shows it.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class ControlPlaneDownTests(PortalFixture portal)
{
    [Fact]
    public async Task When_the_control_plane_stops_the_page_keeps_its_data_and_shows_a_banner_not_a_spinner()
    {
        await using var bus = new InMemoryMessageBus();
        var app = ControlPlaneHost.Create(new SandboxOptions(Port: 0), bus, "portal-down", []);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
        var page = await portal.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(address, "api/portal/") + "#/fleet");
            await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Clusters and their GPU partitions" })).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#banner")).ToBeHiddenAsync();
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        var banner = page.Locator("#banner");
        await Assertions.Expect(banner).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(banner).ToContainTextAsync("The control plane is not answering.");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Clusters and their GPU partitions" })).ToBeVisibleAsync();

        // Moving to another page while it is down ends in a message, not a loading state.
        await page.GetByRole(AriaRole.Link, new() { Name = "Requests" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Control plane unavailable" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Loading…")).ToHaveCountAsync(0);
        await Artifacts.ScreenshotAsync(page, "control-plane-down");
        await page.Context.CloseAsync();
    }
}
