using System.Text;
using GpuAutomation.Functions.Portal;

namespace GpuAutomation.Portal.Tests;

public sealed class PortalAssetCatalogTests
{
    private static Dictionary<string, byte[]> Sources(string leaf) => new()
    {
        ["index.html"] = Encoding.UTF8.GetBytes("""<script type="module" src="assets/app.js"></script>"""),
        ["app.js"] = Encoding.UTF8.GetBytes("""import { x } from "./leaf.js";"""),
        ["leaf.js"] = Encoding.UTF8.GetBytes(leaf),
    };

    [Fact]
    public void A_change_in_an_imported_module_renames_the_modules_that_import_it()
    {
        var before = PortalAssetCatalog.FromSources(Sources("export const x = 1;"));
        var after = PortalAssetCatalog.FromSources(Sources("export const x = 2;"));
        var appBefore = before.Assets.Single(a => a.Name == "app.js");
        var appAfter = after.Assets.Single(a => a.Name == "app.js");
        Assert.NotEqual(appBefore.HashedName, appAfter.HashedName);
        Assert.Contains($"from \"./{after.Assets.Single(a => a.Name == "leaf.js").HashedName}\"", Encoding.UTF8.GetString(appAfter.Content.Span), StringComparison.Ordinal);
        Assert.Contains($"src=\"assets/{appAfter.HashedName}\"", Encoding.UTF8.GetString(after.Page.Content.Span), StringComparison.Ordinal);
        Assert.NotEqual(before.Page.ETag, after.Page.ETag);
    }

    [Fact]
    public void An_import_of_a_missing_module_stops_the_catalog_from_loading()
    {
        var sources = Sources("export const x = 1;");
        sources.Remove("leaf.js");
        var error = Assert.Throws<InvalidOperationException>(() => PortalAssetCatalog.FromSources(sources));
        Assert.Contains("app.js refers to 'leaf.js'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_portal_loads_with_every_link_resolved()
    {
        var catalog = PortalAssetCatalog.Load(typeof(PortalAssetCatalog).Assembly);
        var page = Encoding.UTF8.GetString(catalog.Page.Content.Span);
        Assert.DoesNotContain("assets/app.js\"", page, StringComparison.Ordinal);
        Assert.Contains(catalog.Assets, a => a.Name == "portal.css");
        Assert.All(catalog.Assets.Where(a => a.Name.EndsWith(".js", StringComparison.Ordinal)), asset =>
            Assert.DoesNotMatch("""from\s*["']\./[a-z0-9-]+\.js["']""", Encoding.UTF8.GetString(asset.Content.Span)));
    }
}
