using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Amqp;
using Azure.Data.Tables;
using GpuAutomation.EndToEnd.Tests.Processes;
using GpuAutomation.Sandbox.Scenario;

// End-to-end figures on Azurite + RabbitMQ, the control plane and one HostRunner process per node (--simulate,
// emulator delays zero): request accepted → Succeeded latency, a burst of 200 VM-created events on a 4-node
// cluster with 32 free partitions, and beside them the floor measured in the same run (bare table writes and bus
// round trips the pipeline needs). Needs the test services: `bash scripts/dev-services.sh &` and
// `source scratch/dev-services.env`, then `dotnet run -c Release --project benchmarks/GpuAutomation.EndToEnd.Benchmarks`.
var tables = Environment.GetEnvironmentVariable("GPUAUTO_TEST_AZURITE_TABLES");
var amqp = Environment.GetEnvironmentVariable("GPUAUTO_TEST_AMQP");
if (string.IsNullOrEmpty(tables) || string.IsNullOrEmpty(amqp))
{
    await Console.Error.WriteLineAsync("GPUAUTO_TEST_AZURITE_TABLES / GPUAUTO_TEST_AMQP are not set: run `bash scripts/dev-services.sh &` and `source scratch/dev-services.env` first.");
    return 2;
}

var run = Guid.NewGuid().ToString("N")[..6];
var processes = new List<TestProcess>();
var work = Path.Combine(Path.GetTempPath(), "gpu-e2e-bench-" + run);
Directory.CreateDirectory(work);
var output = Console.Out;
try
{
    var port = FreePort.Next();
    var baseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/"));
    var controlPlane = TestProcess.Start("control plane", BuiltApps.Functions, ["--urls", baseAddress.ToString().TrimEnd('/')], new Dictionary<string, string>
    {
        ["GpuAutomation__Tables__ConnectionString"] = tables,
        ["GpuAutomation__Bus__ConnectionString"] = amqp,
        ["GpuAutomation__Security__DevelopmentIdentity"] = "true",
        ["GpuAutomation__ControlPlane__TablePrefix"] = "bench" + run,
        ["Logging__LogLevel__Default"] = "Warning",
    });
    processes.Add(controlPlane);
    using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    var api = new ControlPlaneClient(http);
    await Until(async () => { try { return (await api.GetAsync("api/health", default)).IsSuccess; } catch (HttpRequestException) { return false; } }, TimeSpan.FromSeconds(60), "the control plane to start");

    output.WriteLine($"End-to-end benchmark, run {run}: control plane + HostRunner processes on Azurite + RabbitMQ, emulator delays 0, {Environment.ProcessorCount} cores");

    // 1. Latency: one request at a time, accepted (202) → Succeeded, polled every 2 ms.
    var latencyCluster = $"bl-{run}";
    const int vmsPerNode = 8;
    var latencyVms = Enumerable.Range(1, vmsPerNode * 2).Select(i => $"lat-{run}-{i:D2}").ToList();
    StartCluster(latencyCluster, 2, node => latencyVms.Skip((node - 1) * vmsPerNode).Take(vmsPerNode));
    await WaitForNodes(latencyCluster, 2);
    var phases = new List<(double Dispatch, double Host, double Report)>();
    var assign = new List<double>();
    var unassign = new List<double>();
    foreach (var action in new[] { "assign", "unassign" })
    {
        foreach (var vm in latencyVms)
        {
            var started = Stopwatch.GetTimestamp();
            var answer = await api.PostAsync("api/partition-requests", $$"""{ "cluster": "{{latencyCluster}}", "vm": "{{vm}}", "action": "{{action}}" }""", default);
            if (answer.Status != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"{action} {vm}: {answer.Describe()}");
            }

            var id = RequestView.All(answer.Body!)[0].Id;
            RequestView? done = null;
            while (done is null)
            {
                done = await api.GetRequestAsync(id, default) is { IsTerminal: true } r ? r : null;
                if (done is null)
                {
                    // A request stuck for a minute is a failure to report, not a figure to wait for.
                    if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(1))
                    {
                        throw new TimeoutException($"{action} {vm}: request {id} is not terminal after a minute.");
                    }

                    await Task.Delay(2);
                }
            }

            if (!done.Is("Succeeded"))
            {
                throw new InvalidOperationException($"{action} {vm} ended {done}");
            }

            (action == "assign" ? assign : unassign).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            phases.Add(await Phases(id, DateTimeOffset.UtcNow));
        }
    }

    // 2. Burst: 200 VM-created events (Event Grid deliveries, 16 in flight) on 4 nodes × 2 A2 × 4 partitions = 32 free.
    var burstCluster = $"bb-{run}";
    const int burstVms = 200;
    var vmsByNode = Enumerable.Range(0, burstVms).Select(i => $"burst-{run}-{i:D3}").Chunk(burstVms / 4).ToList();
    StartCluster(burstCluster, 4, node => vmsByNode[node - 1]);
    await WaitForNodes(burstCluster, 4);
    var policy = await api.PutAsync($"api/clusters/{burstCluster}/policy", """{ "rules": [ { "name": "burst", "namePattern": "burst-*" } ] }""", default);
    if (!policy.IsSuccess)
    {
        throw new InvalidOperationException(policy.Describe());
    }

    var burstStarted = Stopwatch.GetTimestamp();
    using (var gate = new SemaphoreSlim(16))
    {
        await Task.WhenAll(vmsByNode.SelectMany(v => v).Select(async vm =>
        {
            await gate.WaitAsync();
            try
            {
                var answer = await api.PostAsync("local/eventgrid", EventGridDelivery(vm), default);
                if (!answer.IsSuccess)
                {
                    throw new InvalidOperationException($"event for {vm}: {answer.Describe()}");
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    var posted = Stopwatch.GetElapsedTime(burstStarted);
    List<RequestView> burst = [];
    await Until(async () => (burst = await ListAll(burstCluster)).Count >= burstVms && burst.All(r => r.IsTerminal), TimeSpan.FromMinutes(5), "every burst request to finish");
    var drained = Stopwatch.GetElapsedTime(burstStarted);

    // 3. The floor, measured now on the same services: a bare table write and a bare bus round trip.
    var tableWrite = await TableWriteFloor(tables, "floor" + run, 200);
    var busHop = await BusRoundTripFloor(amqp, $"floor-{run}", 200);

    output.WriteLine();
    output.WriteLine("Request accepted → Succeeded (sequential, one at a time)");
    output.WriteLine($"  assign   n={assign.Count,3}  p50 {P(assign, 50),7:0.0} ms  p99 {P(assign, 99),7:0.0} ms  max {assign.Max(),7:0.0} ms");
    output.WriteLine($"  unassign n={unassign.Count,3}  p50 {P(unassign, 50),7:0.0} ms  p99 {P(unassign, 99),7:0.0} ms  max {unassign.Max(),7:0.0} ms");
    var all = assign.Concat(unassign).ToList();
    output.WriteLine($"  all      n={all.Count,3}  p50 {P(all, 50),7:0.0} ms  p99 {P(all, 99),7:0.0} ms");
    output.WriteLine($"  where it goes (p50, from the request's own timestamps; one machine, one clock):");
    output.WriteLine($"    accepted → first host step started  {P([.. phases.Select(p => p.Dispatch)], 50),7:0.0} ms  (outbox publish, command hop, agent journal)");
    output.WriteLine($"    first step started → last step ended {P([.. phases.Select(p => p.Host)], 50),7:0.0} ms  (the host's steps over the emulator)");
    output.WriteLine($"    last step ended → client saw Succeeded {P([.. phases.Select(p => p.Report)], 50),5:0.0} ms  (inventory-after, result hop, intake, 2 ms polling)");
    var requestFloor = (2 * busHop.P50) + (3 * tableWrite.P50);
    output.WriteLine($"  floor: 2 bus hops (command, result) + 3 table writes (request+outbox batch, outbox clear, result) = {requestFloor:0.0} ms at p50");
    output.WriteLine();
    output.WriteLine($"Burst of {burstVms} VM-created events, 4 nodes, 32 free partitions");
    var succeeded = burst.Count(r => r.Is("Succeeded"));
    var rejected = burst.Where(r => r.Is("Rejected")).ToList();
    var noFree = rejected.Count(r => r.ErrorCode == "no-free-partition");
    output.WriteLine($"  requests {burst.Count}: Succeeded {succeeded}, Rejected {rejected.Count} (no-free-partition {noFree}), other {burst.Count - succeeded - rejected.Count}");
    output.WriteLine($"  {(succeeded == 32 && noFree == burstVms - 32 && burst.Count == burstVms ? "as expected" : "NOT as expected")}: exactly 32 provisioned, the rest rejected with no-free-partition");
    output.WriteLine($"  events posted in {posted.TotalSeconds:0.00} s; drained (every request terminal) in {drained.TotalSeconds:0.00} s");
    var burstFloor = TimeSpan.FromMilliseconds((burstVms * tableWrite.P50) + (32 * ((2 * busHop.P50) + (2 * tableWrite.P50))));
    output.WriteLine($"  floor: {burstVms} request writes + 32 × (2 bus hops + 2 table writes), sequential = {burstFloor.TotalSeconds:0.00} s");
    output.WriteLine();
    output.WriteLine("Floor, measured in this run");
    output.WriteLine($"  table write (Azurite upsert)       n={tableWrite.Count}  p50 {tableWrite.P50:0.00} ms  p99 {tableWrite.P99:0.00} ms");
    output.WriteLine($"  bus round trip (RabbitMQ send→receive→accept) n={busHop.Count}  p50 {busHop.P50:0.00} ms  p99 {busHop.P99:0.00} ms");
    return succeeded == 32 && noFree == burstVms - 32 ? 0 : 1;

    void StartCluster(string cluster, int nodes, Func<int, IEnumerable<string>> vmsOf)
    {
        var description = new StringBuilder();
        description.Append(CultureInfo.InvariantCulture, $$"""{ "name": "{{cluster}}", "timing": { "jobDelayMs": 0, "guestShutdownMs": 0 }, "nodes": [""");
        for (var n = 1; n <= nodes; n++)
        {
            var vms = string.Join(",", vmsOf(n).Select(vm => $$"""{ "name": "{{vm}}", "state": "Off" }"""));
            description.Append(CultureInfo.InvariantCulture, $$"""{{(n > 1 ? "," : "")}}{ "name": "node{{n}}", "gpus": [ { "model": "NVIDIA A2", "partitionCount": 4 }, { "model": "NVIDIA A2", "partitionCount": 4 } ], "vms": [ {{vms}} ] }""");
        }

        description.Append("] }");
        var file = Path.Combine(work, cluster + ".json");
        File.WriteAllText(file, description.ToString());
        for (var n = 1; n <= nodes; n++)
        {
            var node = $"node{n}";
            processes.Add(TestProcess.Start(
                $"{cluster}/{node}",
                BuiltApps.HostRunner,
                ["--node", node, "--cluster", cluster, "--bus", amqp, "--journal", Path.Combine(work, cluster + "-" + node), "--simulate", file],
                new Dictionary<string, string>
                {
                    ["HOSTRUNNER_PollInterval"] = "0.002",
                    ["HOSTRUNNER_ChangePollInterval"] = "5",
                    ["Logging__LogLevel__Default"] = "Warning",
                }));
        }
    }

    async Task<(double Dispatch, double Host, double Report)> Phases(string id, DateTimeOffset seen)
    {
        var body = (await api.GetAsync($"api/partition-requests/{id}", default)).Body!.AsObject();
        var created = body["createdAt"]!.GetValue<DateTimeOffset>();
        var steps = body["steps"]!.AsArray().Select(step => (Start: step!["startedAt"]!.GetValue<DateTimeOffset>(), End: step["endedAt"]!.GetValue<DateTimeOffset>())).ToList();
        if (steps.Count == 0)
        {
            return (0, 0, 0);
        }

        var first = steps.Min(step => step.Start);
        var last = steps.Max(step => step.End);
        return ((first - created).TotalMilliseconds, (last - first).TotalMilliseconds, (seen - last).TotalMilliseconds);
    }

    async Task WaitForNodes(string cluster, int nodes)
        => await Until(async () => await api.GetInventoryAsync(cluster, default) is { } v && v.Nodes.Count == nodes, TimeSpan.FromSeconds(60), $"{nodes} nodes of {cluster} to report");

    async Task<List<RequestView>> ListAll(string cluster)
    {
        var result = new List<RequestView>();
        string? token = null;
        do
        {
            var path = $"api/partition-requests?cluster={cluster}&pageSize=200" + (token is null ? string.Empty : "&continuationToken=" + Uri.EscapeDataString(token));
            var answer = await api.GetAsync(path, default);
            if (!answer.IsSuccess || answer.Body is null)
            {
                throw new InvalidOperationException(answer.Describe());
            }

            result.AddRange(RequestView.All(answer.Body));
            token = answer.Body["continuationToken"]?.GetValue<string>();
        }
        while (token is not null);
        return result;
    }

    async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
{
    await Console.Error.WriteLineAsync($"Benchmark failed: {e.Message}");
    foreach (var process in processes)
    {
        await Console.Error.WriteLineAsync(process.Describe());
    }

    return 1;
}
finally
{
    foreach (var process in processes)
    {
        await process.DisposeAsync();
    }

    Directory.Delete(work, recursive: true);
}

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

static string EventGridDelivery(string vm)
{
    var resource = $"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-hci/providers/Microsoft.HybridCompute/machines/{vm}/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default";
    return $$"""
        [{ "id": "{{Guid.NewGuid()}}", "topic": "/subscriptions/00000000-0000-0000-0000-000000000001", "subject": "{{resource}}",
           "eventType": "Microsoft.Resources.ResourceWriteSuccess", "eventTime": "{{DateTimeOffset.UtcNow:O}}", "dataVersion": "", "metadataVersion": "1",
           "data": { "operationName": "Microsoft.AzureStackHCI/virtualMachineInstances/write", "resourceUri": "{{resource}}", "status": "Succeeded" } }]
        """;
}

static async Task<Floor> TableWriteFloor(string connectionString, string table, int count)
{
    var client = new TableClient(connectionString, table);
    await client.CreateIfNotExistsAsync();
    var samples = new List<double>(count);
    try
    {
        for (var i = 0; i < count; i++)
        {
            var entity = new TableEntity("p", i.ToString("D5", CultureInfo.InvariantCulture)) { ["Document"] = new string('x', 512) };
            var started = Stopwatch.GetTimestamp();
            await client.UpsertEntityAsync(entity, TableUpdateMode.Replace);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
    finally
    {
        await client.DeleteAsync();
    }

    return Floor.Of(samples.Skip(10).ToList());
}

static async Task<Floor> BusRoundTripFloor(string address, string queue, int count)
{
    var connection = await new ConnectionFactory().CreateAsync(new Address(address));
    try
    {
        var session = new Session(connection);
        // A durable queue and persistent messages, as the bus uses them (src/Messaging/Amqp/AmqpTerminus.cs).
        var sender = new SenderLink(session, "floor-sender", new Amqp.Framing.Attach { Source = new Amqp.Framing.Source(), Target = new Amqp.Framing.Target { Address = queue, Durable = 1 } }, null);
        var receiver = new ReceiverLink(session, "floor-receiver", new Amqp.Framing.Attach { Source = new Amqp.Framing.Source { Address = queue, Durable = 1 }, Target = new Amqp.Framing.Target() }, null);
        receiver.SetCredit(1);
        var samples = new List<double>(count);
        var body = new byte[1024];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await sender.SendAsync(new Amqp.Message { Header = new Amqp.Framing.Header { Durable = true }, BodySection = new Amqp.Framing.Data { Binary = body } });
            var received = await receiver.ReceiveAsync(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("The floor's message did not come back in 10 s.");
            receiver.Accept(received);
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        await sender.CloseAsync();
        await receiver.CloseAsync();
        await session.CloseAsync();
        return Floor.Of(samples.Skip(10).ToList());
    }
    finally
    {
        await connection.CloseAsync();
    }
}

/// <summary>A floor figure: percentiles of bare round trips, warm-up excluded.</summary>
internal sealed record Floor(int Count, double P50, double P99)
{
    public static Floor Of(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        return new Floor(sorted.Count, sorted[sorted.Count / 2], sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(0.99 * sorted.Count) - 1)]);
    }
}
