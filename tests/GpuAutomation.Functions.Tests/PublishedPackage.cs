using System.Diagnostics;
using GpuAutomation.Testing;

namespace GpuAutomation.Functions.Tests;

/// <summary>Runs the publish script once per test class and holds the assembled app package.</summary>
public sealed class PublishedPackage : IDisposable
{
    public PublishedPackage()
    {
        Root = Path.Combine(Path.GetTempPath(), "gpuauto-functions-package-" + Guid.NewGuid().ToString("N")[..8]);
        var start = new ProcessStartInfo("bash", [RepositoryPaths.Combine("scripts", "publish-functions.sh"), Root, "--no-zip"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("scripts/publish-functions.sh did not finish within 8 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/publish-functions.sh failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        }
    }

    public string Root { get; }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
