using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class PolicyPageTests(PortalFixture portal)
{
    [Fact]
    public async Task A_refused_policy_shows_each_problem_at_its_field_and_saves_nothing()
    {
        var cluster = portal.Sandbox.ClusterName;
        var before = (await portal.GetJsonAsync($"/api/clusters/{cluster}/policy")).GetRawText();
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}/policy");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        // A rule with no name and no criterion, and a staleness of 0 minutes: three problems, two fields.
        await page.GetByLabel("Inventory is stale after (minutes)").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();

        var name = page.Locator("#policy-rules-0-name");
        await Assertions.Expect(name).ToHaveAttributeAsync("aria-invalid", "true");
        var nameError = page.Locator(".field", new PageLocatorOptions { Has = name }).Locator(".field-error");
        await Assertions.Expect(nameError.First).ToContainTextAsync("rules[0].name: must be 1 to 64 characters.");
        await Assertions.Expect(name).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("must be 1 to 64 characters"));
        await Assertions.Expect(name).ToBeFocusedAsync();

        var stale = page.Locator("#policy-staleInventoryAfterMinutes");
        await Assertions.Expect(stale).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator(".field", new PageLocatorOptions { Has = stale }).Locator(".field-error"))
            .ToContainTextAsync("staleInventoryAfterMinutes: 0 is outside 1..10080.");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "The policy was not saved" })).ToBeVisibleAsync();
        await Artifacts.ScreenshotAsync(page, "policy-invalid");

        Assert.Equal(before, (await portal.GetJsonAsync($"/api/clusters/{cluster}/policy")).GetRawText());
        Assert.Empty(PortalFixture.ErrorsOf(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_valid_policy_is_saved_and_the_vms_page_names_the_rule_that_matches()
    {
        var cluster = portal.Sandbox.ClusterName;
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}/policy");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await page.Locator("#policy-rules-0-name").FillAsync("render-nodes");
        await page.Locator("#policy-rules-0-namePattern").FillAsync("render-*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save policy" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        var saved = await portal.GetJsonAsync($"/api/clusters/{cluster}/policy");
        Assert.Equal("render-*", saved.GetProperty("rules")[0].GetProperty("namePattern").GetString());

        await page.GotoAsync(portal.PortalAddress + "#/vms");
        var row = page.Locator("tr", new PageLocatorOptions { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "render-01", Exact = true }) });
        await Assertions.Expect(row).ToContainTextAsync("render-nodes");
        await page.GetByLabel("Search name or node").FillAsync("vdi");
        await Assertions.Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "render-01", Exact = true })).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Rowheader, new() { Name = "vdi-01", Exact = true })).ToBeVisibleAsync();

        // Put the cluster's policy back for the other tests.
        using var reset = await portal.Http.PutAsync(new Uri($"api/clusters/{cluster}/policy", UriKind.Relative),
            new StringContent("""{"rules":[]}""", System.Text.Encoding.UTF8, "application/json"));
        reset.EnsureSuccessStatusCode();
        await page.Context.CloseAsync();
    }
}
