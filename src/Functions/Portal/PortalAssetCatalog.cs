using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuAutomation.Functions.Portal;

/// <summary>
/// The portal's files, embedded in the handler assembly (no CDN, nothing fetched at run time, survives any publish).
/// Every asset is served under a name carrying a hash of its content, so it can be cached for a year: the page links
/// the hashed names, and each ES module's imports of its siblings are rewritten to their hashed names too, so a change
/// in any module changes the name of every module that (transitively) imports it.
/// </summary>
public sealed partial class PortalAssetCatalog
{
    public const string PageName = "index.html";

    private const string ResourcePrefix = "portal/";

    private readonly Dictionary<string, PortalAsset> _byHashedName;

    private PortalAssetCatalog(PortalAsset page, IEnumerable<PortalAsset> assets)
    {
        Page = page;
        _byHashedName = assets.ToDictionary(a => a.HashedName, StringComparer.Ordinal);
    }

    /// <summary>The single page (index.html) with its asset links rewritten to hashed names.</summary>
    public PortalAsset Page { get; }

    /// <summary>Every asset except the page, keyed by served name.</summary>
    public IReadOnlyCollection<PortalAsset> Assets => _byHashedName.Values;

    public PortalAsset? FindAsset(string hashedName) => _byHashedName.GetValueOrDefault(hashedName);

    /// <summary>Reads the embedded files of <paramref name="assembly"/>; throws when a link or import names a missing file.</summary>
    public static PortalAssetCatalog Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var sources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            sources[resource[ResourcePrefix.Length..]] = copy.ToArray();
        }

        return FromSources(sources);
    }

    /// <summary>Builds the catalog from file name → bytes (flat: the portal's files live in one folder).</summary>
    public static PortalAssetCatalog FromSources(IReadOnlyDictionary<string, byte[]> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (!sources.TryGetValue(PageName, out var pageSource))
        {
            throw new InvalidOperationException($"The portal has no {PageName} among its embedded files ({string.Join(", ", sources.Keys)}).");
        }

        var built = new Dictionary<string, PortalAsset>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);

        PortalAsset Build(string name, string referencedBy)
        {
            if (built.TryGetValue(name, out var done))
            {
                return done;
            }

            if (!sources.TryGetValue(name, out var bytes))
            {
                throw new InvalidOperationException($"{referencedBy} refers to '{name}', which is not one of the portal's files.");
            }

            if (!visiting.Add(name))
            {
                // A cycle would make a module's hash depend on itself.
                throw new InvalidOperationException($"The portal's modules import each other in a cycle through '{name}'.");
            }

            var content = bytes;
            if (name.EndsWith(".js", StringComparison.Ordinal))
            {
                var text = Encoding.UTF8.GetString(bytes);
                text = ModuleImport().Replace(text, m => m.Groups["pre"].Value + "./" + Build(m.Groups["name"].Value, name).HashedName + m.Groups["post"].Value);
                content = Encoding.UTF8.GetBytes(text);
            }

            visiting.Remove(name);
            var hash = Hash(content);
            var extension = Path.GetExtension(name);
            var asset = new PortalAsset(name, $"{Path.GetFileNameWithoutExtension(name)}.{hash[..12]}{extension}", ContentTypeOf(name), content, $"\"{hash}\"");
            built[name] = asset;
            return asset;
        }

        var page = Encoding.UTF8.GetString(pageSource);
        page = PageLink().Replace(page, m => m.Groups["pre"].Value + "assets/" + Build(m.Groups["name"].Value, PageName).HashedName + m.Groups["post"].Value);
        foreach (var name in sources.Keys.Where(n => n != PageName))
        {
            Build(name, "the portal");
        }

        var pageBytes = Encoding.UTF8.GetBytes(page);
        return new PortalAssetCatalog(new PortalAsset(PageName, PageName, ContentTypeOf(PageName), pageBytes, $"\"{Hash(pageBytes)}\""), built.Values);
    }

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => throw new InvalidOperationException($"The portal file '{name}' has a type the portal does not serve."),
    };

    /// <summary>Static imports and re-exports of a sibling module: <c>from "./x.js"</c>, <c>import "./x.js"</c>.</summary>
    [GeneratedRegex("""(?<pre>\b(?:from|import)\s*["'])\./(?<name>[a-z0-9-]+\.js)(?<post>["'])""")]
    private static partial Regex ModuleImport();

    /// <summary>The page's links to its assets: <c>src="assets/x.js"</c>, <c>href="assets/x.css"</c>.</summary>
    [GeneratedRegex("""(?<pre>\b(?:src|href)=")assets/(?<name>[a-z0-9-]+\.[a-z]+)(?<post>")""")]
    private static partial Regex PageLink();
}
