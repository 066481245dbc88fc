using Microsoft.Playwright;

namespace GpuAutomation.Portal.Tests;

/// <summary>Screenshots kept as test artifacts: under the results folder scripts/test.sh passes
/// (GPUAUTO_TEST_RESULTS), else under the test output folder.</summary>
public static class Artifacts
{
    public static string Folder { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("GPUAUTO_TEST_RESULTS") is { Length: > 0 } results ? results : Path.Combine(AppContext.BaseDirectory, "TestResults"),
        "portal-screenshots");

    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }
}
