using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Testing;

namespace GpuAutomation.Functions.Benchmarks;

/// <summary>
/// POST /api/partition-requests latency of the packaged handler with its stores on Azurite (loopback), as the
/// Functions host forwards it. The inventory arrives through the HostReports function: <see cref="Nodes"/> nodes, each
/// with 16 GPUs of 16 partitions and 250 VMs, so every measured assignment is accepted (validated, reserved, written
/// with its outbox row in one batch; the handler's dispatch relay then publishes it and marks it dispatched beside
/// the next requests). No bus is configured, so commands go to the handler's in-memory bus: the figure is the control
/// plane's own work plus Table Storage, not a broker round trip.
/// </summary>
public static class PartitionRequestLatency
{
    public const int Nodes = 8;
    private const int VmsPerNode = 250;
    private const string Cluster = "bench";

    /// <returns>p50 and p99 in milliseconds.</returns>
    /// <param name="extraSettings">More app settings, e.g. the telemetry of a tracing-on run.</param>
    /// <param name="policy">A cluster policy document PUT through the API before the first request (e.g. a reserve); null: the default policy.</param>
    public static async Task<(double P50, double P99)> RunAsync(string build, string executable, string appRoot, int requests, int warmup, TextWriter output, IReadOnlyDictionary<string, string>? extraSettings = null, string? policy = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["GpuAutomation__Tables__ConnectionString"] = TestServices.AzuriteTablesConnectionString,
            ["GpuAutomation__ControlPlane__TablePrefix"] = "b" + Guid.NewGuid().ToString("N")[..12],

            // The benchmark's reports carry no tokens; the handler listens on loopback only, where development trust is allowed.
            ["GpuAutomation__ReportAuthentication__DevelopmentTrust"] = "true",
        };

        // Registered as a deployment registers its nodes: reports of unregistered nodes are refused.
        for (var n = 1; n <= Nodes; n++)
        {
            settings[$"GpuAutomation__Nodes__{Cluster}__node{n}__PrincipalId"] = new Guid(n, 0, 0, new byte[8]).ToString();
        }

        foreach (var (name, value) in extraSettings ?? new Dictionary<string, string>())
        {
            settings[name] = value;
        }

        var (started, port) = HandlerProcess.Start(executable, appRoot, settings);
        using var process = started;
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            await WaitForHealthAsync(client);
            for (var n = 1; n <= Nodes; n++)
            {
                await SeedAsync(client, n);
            }

            if (policy is not null)
            {
                await PutPolicyAsync(client, policy);
            }

            var total = Math.Min(requests + warmup, Nodes * VmsPerNode);
            var timings = new List<double>(total);
            var refused = 0;
            for (var i = 0; i < total; i++)
            {
                var node = (i % Nodes) + 1;
                var vm = $"vm-{node}-{i / Nodes:D3}";
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/partition-requests")
                {
                    Content = new StringContent($$"""{"cluster":"{{Cluster}}","vm":"{{vm}}","action":"assign"}""", Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("X-MS-CLIENT-PRINCIPAL", OperatorPrincipal);
                request.Headers.Add("Idempotency-Key", $"bench-{i}");
                var clock = Stopwatch.StartNew();
                using var response = await client.SendAsync(request);
                _ = await response.Content.ReadAsByteArrayAsync();
                clock.Stop();
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    refused++;
                }

                if (i >= warmup)
                {
                    timings.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            timings.Sort();
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"{build}: POST /api/partition-requests on Azurite, {timings.Count} sequential assignments after {warmup} warm-up ({Nodes} nodes, {Nodes * 16 * 16} partitions):"));
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"  p50 {Percentile(timings, 0.50):F1} ms  p90 {Percentile(timings, 0.90):F1} ms  p99 {Percentile(timings, 0.99):F1} ms  max {timings[^1]:F1} ms  mean {timings.Average():F1} ms  not-202 {refused}"));
            return (Percentile(timings, 0.50), Percentile(timings, 0.99));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task SeedAsync(HttpClient client, int n)
    {
        var node = $"node{n}";
        var gpus = Enumerable.Range(0, 16)
            .Select(g => new GpuInventory($@"PCI\VEN_10DE&DEV_25B6\4&{g:X4}", null, "NVIDIA", "A16", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], 16, null, []))
            .ToList();
        var vms = Enumerable.Range(0, VmsPerNode)
            .Select(v => new VmInventory($"vm-{n}-{v:D3}", Guid.NewGuid(), VmPowerState.Off, node, [], true, OfflineAction.ForceShutdown, null))
            .ToList();
        var snapshot = new NodeInventory(node, DateTimeOffset.UtcNow, new HostFacts("26100.1", true, true), gpus, vms);
        var message = Message.Create(new InventorySnapshot(snapshot), Guid.NewGuid().ToString("N"), Cluster, node, DateTimeOffset.UtcNow);
        var invocation = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = Convert.ToBase64String(MessageCodec.Encode(message)) },
            ["Metadata"] = new JsonObject { ["MessageId"] = JsonValue.Create("\"" + message.Envelope.MessageId + "\""), ["DeliveryCount"] = "1" },
        };
        using var response = await client.PostAsync("HostReports", new StringContent(invocation.ToJsonString(), Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || !body.Contains("\"processed\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Seeding {node} failed: {(int)response.StatusCode} {body}");
        }
    }

    private static async Task PutPolicyAsync(HttpClient client, string policy)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"api/clusters/{Cluster}/policy") { Content = new StringContent(policy, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-MS-CLIENT-PRINCIPAL", OperatorPrincipal);
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Storing the policy {policy} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task WaitForHealthAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(20);
        }
    }

    private static string OperatorPrincipal { get; } = Convert.ToBase64String(Encoding.UTF8.GetBytes(
        """{"auth_typ":"aad","name_typ":"name","role_typ":"roles","claims":[{"typ":"name","val":"bench@contoso.com"},{"typ":"roles","val":"GpuAutomation.Operator"}]}"""));
}
