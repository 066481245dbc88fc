using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using GpuAutomation.Testing;

namespace GpuAutomation.Functions.Benchmarks;

/// <summary>
/// Process start → first 200 from GET /api/health of the packaged handler, started as the Functions host starts it
/// (FUNCTIONS_CUSTOMHANDLER_PORT set). Publishes the package with scripts/publish-functions.sh (JIT, and Native AOT
/// with --aot), runs each build several times, prints the figures.
/// Then, unless --posts 0, the POST /api/partition-requests latency of each build on Azurite
/// (<see cref="PartitionRequestLatency"/>; Azurite's endpoint comes from the environment, as for tests).
/// Usage: [--runs N] [--aot] [--posts N] [--warmup N] [--jit-package DIR] [--aot-package DIR] (a given package is measured as is, not republished).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(int.Parse).FirstOrDefault(10);
        // Native AOT is opt-in: the wired core (Azure.Data.Tables) does not run under AOT (see src/Functions/README.md).
        var aot = args.Contains("--aot");
        var posts = args.SkipWhile(a => a != "--posts").Skip(1).Select(int.Parse).FirstOrDefault(1000);
        var warmup = args.SkipWhile(a => a != "--warmup").Skip(1).Select(int.Parse).FirstOrDefault(50);
        var output = Console.Out;
        var builds = new List<(string Name, string Root)> { ("JIT (self-contained, R2R)", Option(args, "--jit-package") ?? Publish("functions-bench-jit", aot: false)) };
        if (aot)
        {
            builds.Add(("Native AOT", Option(args, "--aot-package") ?? Publish("functions-bench-aot", aot: true)));
        }

        await output.WriteLineAsync($"Process start → first 200 from GET /api/health, {runs} runs each (first run discarded as disk-cache warm-up)");
        await output.WriteLineAsync($"{"build",-26} {"median ms",10} {"min ms",8} {"max ms",8} {"RSS MB",8} {"handler MB",11}");
        foreach (var (name, root) in builds)
        {
            var times = new List<double>();
            var rss = new List<double>();
            for (var i = 0; i <= runs; i++)
            {
                var (elapsed, rssMb) = await MeasureAsync(Path.Combine(root, "handler", "GpuAutomation.Functions"), root);
                if (i > 0)
                {
                    times.Add(elapsed.TotalMilliseconds);
                    rss.Add(rssMb);
                }
            }

            times.Sort();
            var size = new DirectoryInfo(Path.Combine(root, "handler")).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) / 1024.0 / 1024.0;
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{name,-26} {times[times.Count / 2],10:F0} {times[0],8:F0} {times[^1],8:F0} {rss.Average(),8:F1} {size,11:F1}"));
        }

        if (posts > 0)
        {
            foreach (var (name, root) in builds)
            {
                await PartitionRequestLatency.RunAsync(name, Path.Combine(root, "handler", "GpuAutomation.Functions"), root, posts, warmup, output);
            }
        }

        return 0;
    }

    private static string? Option(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    private static string Publish(string name, bool aot)
    {
        var root = RepositoryPaths.Combine("artifacts", name);
        var start = new ProcessStartInfo("bash", [RepositoryPaths.Combine("scripts", "publish-functions.sh"), root, "--no-zip", .. aot ? new[] { "--aot" } : []])
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? root : throw new InvalidOperationException($"Publishing {name} failed:\n{stderr.Result}");
    }

    private static async Task<(TimeSpan Elapsed, double RssMb)> MeasureAsync(string executable, string appRoot)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        var (started, port) = HandlerProcess.Start(executable, appRoot);
        using var process = started;
        var url = new Uri($"http://127.0.0.1:{port}/api/health");
        try
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                try
                {
                    using var response = await client.GetAsync(url);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var elapsed = clock.Elapsed;
                        return (elapsed, RssMb(process.Id));
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(2);
                }
            }

            throw new TimeoutException($"{executable} did not answer /api/health within 30 s.");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static double RssMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
