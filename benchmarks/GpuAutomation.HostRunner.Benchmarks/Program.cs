using System.Diagnostics;
using System.Globalization;
using GpuAutomation.HostRunner.Agent;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.InMemory;

// Start-up to ready and idle working set of one agent over the emulated sample node, as the process sees them:
// "ready" is measured from the process start (runtime start-up and JIT included) to the agent taking commands.
// Usage: dotnet run -c Release --project benchmarks/GpuAutomation.HostRunner.Benchmarks [-- amqp://user:pass@host:port]
var processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
var bus = args.Length > 0 ? (IMessageBus)AmqpMessageBus.Create(args[0]) : new InMemoryMessageBus();
var journal = Path.Combine(Path.GetTempPath(), "hostrunner-bench-" + Guid.NewGuid().ToString("N"));
var sample = Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json");
var options = new HostRunnerOptions { Node = "node1", Cluster = "hci-cluster1", Bus = "amqp://127.0.0.1:5672", JournalFolder = journal, Simulate = sample };

var stopwatch = Stopwatch.StartNew();
var cluster = EmulatedCluster.Load(sample);
await using var agent = new HostRunnerAgent(options, bus, cluster.ClientFor("node1"));
await agent.StartAsync();
var agentStart = stopwatch.Elapsed;
var sinceProcessStart = DateTime.UtcNow - processStart;

await Task.Delay(TimeSpan.FromSeconds(3));
GC.Collect();
GC.WaitForPendingFinalizers();
await Task.Delay(TimeSpan.FromSeconds(2));
using var self = Process.GetCurrentProcess();
self.Refresh();

string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);
string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
Console.WriteLine($"bus                          {(args.Length > 0 ? "amqp" : "in-memory")}");
Console.WriteLine($"agent StartAsync to ready    {Ms(agentStart)} ms");
Console.WriteLine($"process start to ready       {Ms(sinceProcessStart)} ms   (goal < 1000 ms)");
Console.WriteLine($"idle working set (RSS)       {Mb(self.WorkingSet64)} MB   (goal < 60 MB)");
Console.WriteLine($"idle managed heap            {Mb(GC.GetTotalMemory(forceFullCollection: true))} MB");
await agent.StopAsync();
await bus.DisposeAsync();
Directory.Delete(journal, recursive: true);
