using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class RoleTests(PortalFixture portal)
{
    private const string ReaderRole = "GpuAutomation.Reader";

    [Fact]
    public async Task A_reader_sees_every_page_without_a_single_action_control()
    {
        var cluster = portal.Sandbox.ClusterName;
        var page = await portal.NewPageAsync(PortalFixture.Principal("rita@contoso.example", ReaderRole));
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}");
        await Assertions.Expect(page.Locator("#caller")).ToHaveTextAsync("rita@contoso.example · Reader");
        await Assertions.Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "vdi-01", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main button")).ToHaveCountAsync(0);
        await Artifacts.ScreenshotAsync(page, "cluster-reader");

        await page.GotoAsync(portal.PortalAddress + "#/vms");
        await Assertions.Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "vdi-01", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main button")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Columnheader, new() { Name = "Action", Exact = true })).ToHaveCountAsync(0);

        await page.GotoAsync(portal.PortalAddress + "#/compliance");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Compliance of {cluster}" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main button")).ToHaveCountAsync(0);

        await page.GotoAsync(portal.PortalAddress + "#/policy");
        await Assertions.Expect(page.GetByText("Read only: changing the policy needs the Operator role.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main button")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#policy-staleInventoryAfterMinutes")).ToBeDisabledAsync();
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_caller_without_a_role_is_shown_403_and_a_bad_principal_401()
    {
        var page = await portal.NewPageAsync(PortalFixture.Principal("nobody@contoso.example"));
        await page.GotoAsync(portal.PortalAddress + "#/fleet");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Forbidden (403)" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("needs the app role");
        await Artifacts.ScreenshotAsync(page, "forbidden");
        await page.Context.CloseAsync();

        page = await portal.NewPageAsync("not-base64!");
        await page.GotoAsync(portal.PortalAddress + "#/fleet");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not signed in (401)" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("is not base64");
        await page.Context.CloseAsync();
    }
}
