using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>Every page, at 1280 px and at a phone's 390 px: axe finds no serious or critical violation, nothing
/// scrolls sideways except inside a table's own scroll area, and a screenshot of each is kept.</summary>
[Collection(PortalCollection.Name)]
public sealed class TourTests(PortalFixture portal)
{
    public static TheoryData<string, string> Pages => new()
    {
        { "fleet", "#/fleet" },
        { "cluster", "#/clusters/{cluster}" },
        { "vms", "#/vms" },
        { "requests", "#/requests" },
        { "policy", "#/clusters/{cluster}/policy" },
        { "compliance", "#/clusters/{cluster}/compliance" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_has_no_serious_accessibility_violation_and_fits_a_desktop_and_a_phone(string name, string route)
    {
        foreach (var (width, height, suffix) in new[] { (1280, 900, "1280"), (390, 844, "phone") })
        {
            var page = await portal.NewPageAsync(width: width, height: height);
            await page.GotoAsync(portal.PortalAddress + route.Replace("{cluster}", portal.Sandbox.ClusterName, StringComparison.Ordinal));
            await Assertions.Expect(page.Locator("#page-title")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByText("Loading…")).ToHaveCountAsync(0);

            await Artifacts.ScreenshotAsync(page, $"{name}-{suffix}");
            var axe = await page.RunAxe();
            var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")
                .ToList();
            Assert.True(serious.Count == 0, $"{name} at {width} px: {string.Join("; ", serious)}");

            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.True(overflow <= 0, $"{name} at {width} px scrolls sideways by {overflow} px.");
            Assert.Empty(PortalFixture.ErrorsOf(page));
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Running_a_compliance_scan_from_the_portal_shows_its_report()
    {
        var cluster = portal.Sandbox.ClusterName;
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.PortalAddress + $"#/clusters/{cluster}/compliance");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run a scan now" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Scan finished.");
        var compliance = await portal.GetJsonAsync($"/api/clusters/{cluster}/compliance");
        var latest = compliance.GetProperty("latest");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Last checked");
        var findings = page.Locator("table", new PageLocatorOptions { Has = page.Locator("caption", new() { HasText = "Findings of the latest scan" }) }).Locator("tbody tr");
        var count = latest.GetProperty("findings").GetArrayLength();
        await Assertions.Expect(findings).ToHaveCountAsync(Math.Max(count, 1));
        foreach (var finding in latest.GetProperty("findings").EnumerateArray())
        {
            await Assertions.Expect(page.Locator("main")).ToContainTextAsync(finding.GetProperty("message").GetString()!);
        }

        await Artifacts.ScreenshotAsync(page, "compliance-scanned");
        await page.Context.CloseAsync();
    }
}
