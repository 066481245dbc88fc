using System.Net;
using System.Text.RegularExpressions;

namespace GpuAutomation.Portal.Tests;

/// <summary>The portal's HTTP contract, read as a browser or a proxy would.</summary>
[Collection(PortalCollection.Name)]
public sealed partial class PortalServingTests(PortalFixture portal)
{
    [Fact]
    public async Task Page_is_revalidated_and_its_hashed_assets_are_cached_for_a_year_under_a_strict_csp()
    {
        using var page = await portal.Http.GetAsync(new Uri("api/portal/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("no-cache", page.Headers.CacheControl!.ToString());
        var csp = string.Join(" ", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(InlineScriptFree(), html);

        var links = AssetLink().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, links.Count);
        foreach (var link in links)
        {
            using var asset = await portal.Http.GetAsync(new Uri("api/portal/" + link, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl!.ToString());
            Assert.Equal("nosniff", string.Join(",", asset.Headers.GetValues("X-Content-Type-Options")));
        }

        // Only the hashed name is served: a stale or guessed name is not found rather than served as the new file.
        using var unhashed = await portal.Http.GetAsync(new Uri("api/portal/assets/app.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unhashed.StatusCode);

        // The page answers 304 to its own ETag.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, new Uri("api/portal/", UriKind.Relative));
        conditional.Headers.IfNoneMatch.Add(page.Headers.ETag!);
        using var notModified = await portal.Http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task Polled_api_reads_answer_304_to_the_etag_of_an_unchanged_body()
    {
        using var first = await portal.Http.GetAsync(new Uri("api/partition-requests?vm=nobody-has-this-vm", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, new Uri("api/partition-requests?vm=nobody-has-this-vm", UriKind.Relative));
        again.Headers.IfNoneMatch.Add(etag);
        using var second = await portal.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());

        using var other = new HttpRequestMessage(HttpMethod.Get, new Uri("api/partition-requests?vm=nobody-has-this-vm", UriKind.Relative));
        other.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"something-else\""));
        using var third = await portal.Http.SendAsync(other);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task The_portal_path_without_its_slash_redirects_to_the_page()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = portal.Sandbox.BaseAddress };
        using var response = await http.GetAsync(new Uri("api/portal", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/api/portal/", response.Headers.Location!.ToString());
    }

    [GeneratedRegex("(?:src|href)=\"(assets/[a-z0-9-]+\\.[0-9a-f]{12}\\.(?:js|css))\"")]
    private static partial Regex AssetLink();

    /// <summary>Every script element has a src (no inline code for the CSP to refuse).</summary>
    [GeneratedRegex("""^(?:(?!<script(?![^>]*\bsrc=))[\s\S])*$""")]
    private static partial Regex InlineScriptFree();
}
