using System.Text.Json;
using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>
/// The Sandbox composition (the real control plane, in-memory stores and bus, one simulated agent per node) on a free
/// 127.0.0.1 port, and Debian's chromium driven by Playwright. Playwright's .NET driver runs on the Node.js binary
/// the Microsoft.Playwright package ships (.playwright/node/&lt;rid&gt;/node, copied to the output), not on a system node;
/// the browser is never downloaded: ExecutablePath names the system chromium (scripts/lib/services.sh installs it).
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
    ];

    private IPlaywright? _playwright;

    public SandboxSystem Sandbox { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri PortalAddress => new(Sandbox.BaseAddress, "api/portal/");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: run the tests through scripts/test.sh, which installs Debian's chromium.");
        }

        Sandbox = await StartSandboxAsync();
        Http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArguments,
        });
    }

    public static Task<SandboxSystem> StartSandboxAsync()
        => SandboxSystem.StartAsync(new SandboxOptions(Port: 0), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, CancellationToken.None);

    /// <summary>A fresh page; <paramref name="principal"/> is sent as X-MS-CLIENT-PRINCIPAL (as App Service
    /// Authentication would), otherwise the Sandbox's development identity (both roles) applies.</summary>
    public async Task<IPage> NewPageAsync(string? principal = null, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ExtraHTTPHeaders = principal is null ? null : new Dictionary<string, string> { ["X-MS-CLIENT-PRINCIPAL"] = principal },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        // A script error or a Content-Security-Policy violation is a failure of the page, whatever the test checks.
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            // Refusals from the API (4xx) are the page's to show; a failed load of the portal itself is an error.
            var apiRefusal = message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal)
                && message.Location.Contains("/api/", StringComparison.Ordinal) && !message.Location.Contains("/api/portal/", StringComparison.Ordinal);
            if (message.Type == "error" && !apiRefusal)
            {
                errors.Add(message.Text);
            }
        };
        PageErrors.Add(page, errors);
        return page;
    }

    /// <summary>Script errors and console errors (CSP violations are reported there) the page had so far.</summary>
    public static IReadOnlyList<string> ErrorsOf(IPage page) => PageErrors.TryGetValue(page, out var errors) ? errors : [];

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IPage, List<string>> PageErrors = new();

    /// <summary>The client principal App Service Authentication would pass for a caller holding <paramref name="roles"/>.</summary>
    public static string Principal(string name, params string[] roles)
    {
        var claims = new List<object> { new Dictionary<string, string> { ["typ"] = "name", ["val"] = name } };
        claims.AddRange(roles.Select(r => new Dictionary<string, string> { ["typ"] = "roles", ["val"] = r }));
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["auth_typ"] = "aad", ["name_typ"] = "name", ["role_typ"] = "roles", ["claims"] = claims });
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json));
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(path.TrimStart('/'), UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (Sandbox is not null)
        {
            await Sandbox.DisposeAsync();
        }
    }
}
