using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

[Collection(PortalCollection.Name)]
public sealed class PageWeightTests(PortalFixture portal)
{
    public const int BudgetBytes = 300 * 1024;

    [Fact]
    public async Task First_page_html_js_and_css_weigh_less_than_300_KB_uncompressed()
    {
        var page = await portal.NewPageAsync();
        var responses = new List<IResponse>();
        page.Response += (_, response) => responses.Add(response);
        await page.GotoAsync(portal.PortalAddress + "#/fleet");
        await Assertions.Expect(page.Locator("#page-title")).ToBeVisibleAsync();

        long total = 0;
        var counted = new List<string>();
        foreach (var response in responses.Where(r => r.Request.ResourceType is "document" or "script" or "stylesheet"))
        {
            var body = await response.BodyAsync();
            total += body.Length;
            counted.Add($"{response.Url} {body.Length}");
        }

        Assert.Contains(counted, c => c.Contains(".css", StringComparison.Ordinal));
        Assert.True(counted.Count(c => c.Contains(".js", StringComparison.Ordinal)) >= 2, string.Join("\n", counted));
        Assert.True(total < BudgetBytes, $"The first page weighs {total} bytes:\n{string.Join("\n", counted)}");
        await page.Context.CloseAsync();
    }
}
