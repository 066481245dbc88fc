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
/// With --baseline-package DIR [--rounds N]: the JIT package and DIR (e.g. the package of an earlier commit, published
/// by that commit's scripts/publish-functions.sh) are measured in alternation, N rounds, and the ratios of the medians
/// are printed — the way to tell whether a change made start-up or POST latency slower on a machine whose load varies.
/// With --tracing-overhead [--rounds N]: POST latency of the JIT package with tracing off and on, alternating, and the ratio.
/// With --reserve-overhead [--rounds N]: POST latency of the JIT package with the cluster policy's reserve none and n+1
/// (refuse, and warn), in rotation, and the ratios (issue 18: admission p99 with headroom rules within 20 % of today's).
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

        if (args.Contains("--tracing-overhead"))
        {
            var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(4);
            return await TracingOverheadAsync(builds[0].Root, rounds, posts, warmup, output);
        }

        if (args.Contains("--reserve-overhead"))
        {
            var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(4);
            return await ReserveOverheadAsync(builds[0].Root, rounds, posts, warmup, output);
        }

        if (Option(args, "--baseline-package") is { } baseline)
        {
            var rounds = args.SkipWhile(a => a != "--rounds").Skip(1).Select(int.Parse).FirstOrDefault(3);
            return await CompareAsync(builds[0].Root, baseline, rounds, runs, posts, warmup, output);
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

    /// <summary>Baseline and candidate in alternation (baseline first in odd rounds, second in even), then medians and ratios.</summary>
    private static async Task<int> CompareAsync(string candidate, string baseline, int rounds, int runs, int posts, int warmup, TextWriter output)
    {
        var figures = new Dictionary<string, (List<double> Start, List<double> P50, List<double> P99)>
        {
            ["baseline"] = ([], [], []),
            ["candidate"] = ([], [], []),
        };
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? new[] { ("baseline", baseline), ("candidate", candidate) } : [("candidate", candidate), ("baseline", baseline)];
            foreach (var (name, root) in order)
            {
                var executable = Path.Combine(root, "handler", "GpuAutomation.Functions");
                var (start, p50, p99) = figures[name];
                for (var i = 0; i <= runs; i++)
                {
                    var (elapsed, _) = await MeasureAsync(executable, root);
                    if (i > 0)
                    {
                        start.Add(elapsed.TotalMilliseconds);
                    }
                }

                if (posts > 0)
                {
                    var (roundP50, roundP99) = await PartitionRequestLatency.RunAsync($"round {round} {name}", executable, root, posts, warmup, output);
                    p50.Add(roundP50);
                    p99.Add(roundP99);
                }
            }
        }

        static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
        await output.WriteLineAsync($"Baseline {baseline} vs candidate {candidate}: {rounds} alternating rounds (medians; ratio = candidate / baseline)");
        await output.WriteLineAsync($"{"figure",-22} {"baseline",10} {"candidate",10} {"ratio",7}");
        foreach (var (label, pick) in new (string, Func<(List<double> Start, List<double> P50, List<double> P99), List<double>>)[]
        {
            ("start-up ms", f => f.Start),
            ("POST p50 ms", f => f.P50),
            ("POST p99 ms", f => f.P99),
        })
        {
            var b = Median(pick(figures["baseline"]));
            var c = Median(pick(figures["candidate"]));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{label,-22} {b,10:F1} {c,10:F1} {c / b,7:F2}"));
        }

        return 0;
    }

    /// <summary>
    /// POST latency with tracing off and on, alternating, in one run (issue 20: overhead under 10 %). "On" is the SDK as
    /// deployed minus the network: every span of the product, ASP.NET Core and Azure.Data.Tables sampled and recorded,
    /// handed to a batching OTLP exporter whose endpoint refuses connections (so nothing leaves the machine, and the
    /// figure is the instrumentation's cost, not an ingestion endpoint's latency).
    /// </summary>
    private static async Task<int> TracingOverheadAsync(string root, int rounds, int posts, int warmup, TextWriter output)
    {
        var executable = Path.Combine(root, "handler", "GpuAutomation.Functions");
        var tracing = new Dictionary<string, string>
        {
            ["GpuAutomation__Telemetry__Exporter"] = "Otlp",
            ["GpuAutomation__Telemetry__OtlpEndpoint"] = "http://127.0.0.1:9",
            ["GpuAutomation__Telemetry__SamplingRatio"] = "1",
        };
        var figures = new Dictionary<string, (List<double> P50, List<double> P99)> { ["off"] = ([], []), ["on"] = ([], []) };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in round % 2 == 1 ? new[] { "off", "on" } : ["on", "off"])
            {
                var (p50, p99) = await PartitionRequestLatency.RunAsync($"round {round} tracing {mode}", executable, root, posts, warmup, output, mode == "on" ? tracing : null);
                figures[mode].P50.Add(p50);
                figures[mode].P99.Add(p99);
            }
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        await output.WriteLineAsync($"Tracing off vs on: {rounds} alternating rounds of {posts} POSTs (medians; ratio = on / off; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        await output.WriteLineAsync($"{"figure",-14} {"off",10} {"on",10} {"ratio",7}");
        foreach (var (label, pick) in new (string, Func<(List<double> P50, List<double> P99), List<double>>)[] { ("POST p50 ms", f => f.P50), ("POST p99 ms", f => f.P99) })
        {
            var off = Median(pick(figures["off"]));
            var on = Median(pick(figures["on"]));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{label,-14} {off,10:F1} {on,10:F1} {on / off,7:F2}"));
        }

        return 0;
    }

    /// <summary>
    /// POST latency with the cluster policy's reserve none, n+1 (onReserveBreach refuse, the default) and n+1 with
    /// onReserveBreach warn, rotating the order each round, in one run (issue 18: admission p99 with headroom rules
    /// within 20 % of today's). The reserve never refuses here (at most 132 of each node's 256 partitions are taken, and
    /// n+1 needs one node's GPU VMs free on the 7 others), so every request is admitted and the figure is what the
    /// reserve check costs. With none, admission reads no ledger (the store's last-written one is used, checked by the
    /// batch's ETag). With n+1 refuse, one more table call: the cluster's capacity-holds row written with the request's
    /// hold before the request's batch (the row and every node's ledger are the ones this instance last read or wrote;
    /// ClusterCapacityHolds). With warn no more table calls than none: only the reserve's arithmetic. A fixed reserve
    /// makes the same table calls as n+1. A first round, discarded, warms the machine and Azurite: the first handler
    /// started on a fresh Azurite was slower whatever its mode.
    /// </summary>
    private static async Task<int> ReserveOverheadAsync(string root, int rounds, int posts, int warmup, TextWriter output)
    {
        var executable = Path.Combine(root, "handler", "GpuAutomation.Functions");
        var policies = new (string Mode, string Policy)[]
        {
            ("none", """{"rules":[],"reserve":"none"}"""),
            ("n+1", """{"rules":[],"reserve":"n+1"}"""),
            ("n+1 warn", """{"rules":[],"reserve":"n+1","onReserveBreach":"warn"}"""),
        };
        var figures = policies.ToDictionary(p => p.Mode, _ => (P50: new List<double>(), P99: new List<double>()));
        var loads = new List<string>();
        for (var round = 0; round <= rounds; round++)
        {
            if (round > 0)
            {
                loads.Add(File.ReadAllText("/proc/loadavg").Split(' ')[0]);
            }

            foreach (var (mode, policy) in policies.Skip(round % policies.Length).Concat(policies.Take(round % policies.Length)))
            {
                var (p50, p99) = await PartitionRequestLatency.RunAsync(round == 0 ? $"warm-up (discarded) reserve {mode}" : $"round {round} reserve {mode}", executable, root, posts, warmup, output, policy: policy);
                if (round > 0)
                {
                    figures[mode].P50.Add(p50);
                    figures[mode].P99.Add(p99);
                }
            }
        }

        loads.Add(File.ReadAllText("/proc/loadavg").Split(' ')[0]);
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        await output.WriteLineAsync($"Reserve none vs n+1 (refuse) vs n+1 warn: {rounds} rotating rounds of {posts} POSTs (medians; ratio = mode / none; 1-minute load at each round's start and at the end: {string.Join(", ", loads)})");
        await output.WriteLineAsync($"{"figure",-14} {"none",8} {"n+1",8} {"ratio",7} {"n+1 warn",9} {"ratio",7}");
        foreach (var (label, pick) in new (string, Func<(List<double> P50, List<double> P99), List<double>>)[] { ("POST p50 ms", f => f.P50), ("POST p99 ms", f => f.P99) })
        {
            var none = Median(pick(figures["none"]));
            var nPlusOne = Median(pick(figures["n+1"]));
            var warn = Median(pick(figures["n+1 warn"]));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{label,-14} {none,8:F1} {nPlusOne,8:F1} {nPlusOne / none,7:F2} {warn,9:F1} {warn / none,7:F2}"));
        }

        return 0;
    }

    private static readonly Dictionary<string, string> DeployedSettings = new()
    {
        ["GpuAutomation__ReportAuthentication__TenantId"] = "7f3c2b1a-0d4e-4f5a-9b6c-8d7e6f5a4b3c",
        ["GpuAutomation__ReportAuthentication__Audience"] = "api://gpu-automation-bench",
    };

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
        // As deployed: report authentication configured (the handler refuses to start without it; keys are fetched
        // only when a report arrives, so nothing leaves the machine here).
        var (started, port) = HandlerProcess.Start(executable, appRoot, DeployedSettings);
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
