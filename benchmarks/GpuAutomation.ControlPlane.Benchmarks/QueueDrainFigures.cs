using System.Diagnostics;
using System.Globalization;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Issue 18's queue figure: 2,000 queued assigns on a full 4-node cluster, then 200 partitions freed at once; the
/// backfill's drain time beside a floor measured in the same run on the same store: the table operations an admission
/// can't do without (read the request, one batch of request + ledger + outbox, delete the queue entry), 200 times.
/// </summary>
internal static class QueueDrainFigures
{
    private const int Nodes = 4;
    private const int PartitionsPerNode = 50;
    private const int Queued = 2000;

    public static async Task RunAsync(TextWriter output, string backend, Func<IRecordTableSource> tables, Func<IRecordTableSource, ServiceProvider> plane)
    {
        var source = tables();
        await using var services = plane(source);
        var intake = services.GetRequiredService<ReportIntake>();
        var requests = services.GetRequiredService<RequestStore>();
        var service = services.GetRequiredService<PartitionRequestService>();
        var now = DateTimeOffset.UtcNow;
        var nodes = Enumerable.Range(1, Nodes).Select(n => Node($"node{n}", now, Queued / Nodes)).ToList();
        foreach (var node in nodes)
        {
            await intake.HandleAsync(Message.Create(new InventorySnapshot(node), "seed-" + node.Node, "clus1", node.Node, node.TakenAt), default);
            var ledger = (await requests.GetLedgerAsync("clus1", node.Node, default))!;
            await requests.SaveLedgerAsync(ledger.Ledger with { FreePartitions = 0 }, ledger.ETag, default);
        }

        // 2,000 assigns that wait, 8 at a time, with priorities 0..9.
        var priorities = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var gate = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, Queued).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var vm = nodes[i % Nodes].Vms[i / Nodes];
                    var outcome = await service.SubmitAsync(PartitionRequestSubmission.Assign("clus1", vm.Name, vm.Id) with { Queue = new QueueTerms(600, i * 7 % 10) }, default);
                    if (outcome.Request.Status != RequestStatus.Queued)
                    {
                        throw new InvalidOperationException($"{vm.Name} was {outcome.Request.Status}, not Queued: {outcome.Request.Error}");
                    }

                    lock (priorities)
                    {
                        priorities[outcome.Request.Id] = i * 7 % 10;
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        // 200 partitions free at once (50 per node), as a snapshot per node would show; then the backfill drains.
        foreach (var node in nodes)
        {
            var ledger = (await requests.GetLedgerAsync("clus1", node.Node, default))!;
            await requests.SaveLedgerAsync(ledger.Ledger with { FreePartitions = PartitionsPerNode }, ledger.ETag, default);
        }

        var backfill = services.GetRequiredService<QueueBackfill>();
        var watch = Stopwatch.StartNew();
        var admitted = 0;
        int pass;
        do
        {
            pass = await backfill.BackfillAsync("clus1", default);
            admitted += pass;
        }
        while (pass > 0);

        watch.Stop();

        var queue = services.GetRequiredService<RequestQueue>();
        var waiting = (await queue.ListAsync("clus1", Queued, default)).ToList();
        var admittedIds = priorities.Keys.Except(waiting.Select(e => e.RequestId)).ToList();
        var inOrder = nodes.All(n =>
        {
            var left = waiting.Where(e => e.Node == n.Node).Select(e => e.Priority).DefaultIfEmpty(-1).Max();
            return admittedIds.Select(id => (Id: id, Stored: requests.GetAsync(id, default).Result)).Where(x => x.Stored!.Request.Node == n.Node).All(x => priorities[x.Id] >= left);
        });

        var floor = await FloorAsync(source, PartitionsPerNode * Nodes);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{backend}: {Queued} queued, {PartitionsPerNode * Nodes} partitions freed at once on {Nodes} nodes: {admitted} admitted in {watch.Elapsed.TotalMilliseconds:N0} ms ({watch.Elapsed.TotalMilliseconds / Math.Max(1, admitted):N2} ms each), {waiting.Count} still queued, priority order per node: {(inOrder ? "yes" : "NO")}; floor ({PartitionsPerNode * Nodes} x read + 3-row batch + delete) {floor.TotalMilliseconds:N0} ms; ratio {watch.Elapsed.TotalMilliseconds / floor.TotalMilliseconds:N2}x"));
    }

    /// <summary>The table operations of <paramref name="admissions"/> admissions, and nothing else, on the same store.</summary>
    private static async Task<TimeSpan> FloorAsync(IRecordTableSource source, int admissions)
    {
        var table = source.Open("floor");
        var queue = source.Open("floorqueue");
        for (var i = 0; i < admissions; i++)
        {
            await queue.SubmitAsync([RowChange.Insert(new TableRow("clus1", $"q-{i:D6}", new Dictionary<string, object?> { ["RequestId"] = $"r{i}" }))], default);
            await table.SubmitAsync([RowChange.Insert(new TableRow($"clus1.node{i % Nodes}", $"r-{i:D6}", new Dictionary<string, object?> { ["Status"] = "Queued" }))], default);
        }

        var ledgers = new string?[Nodes];
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < admissions; i++)
        {
            var partition = $"clus1.node{i % Nodes}";
            var row = (await table.GetAsync(partition, $"r-{i:D6}", default))!;
            var ledger = new TableRow(partition, "ledger", new Dictionary<string, object?> { ["Free"] = i }, ledgers[i % Nodes]);
            var etags = await table.SubmitAsync(
                [
                    RowChange.Write(new TableRow(partition, row.RowKey, new Dictionary<string, object?> { ["Status"] = "Accepted" }, row.ETag)),
                    RowChange.Write(ledger),
                    RowChange.Insert(new TableRow(partition, $"o-{i:D6}", new Dictionary<string, object?> { ["Message"] = new byte[400] })),
                ],
                default);
            ledgers[i % Nodes] = etags[1];
            await queue.SubmitAsync([RowChange.Delete("clus1", $"q-{i:D6}")], default);
        }

        return watch.Elapsed;
    }

    private static NodeInventory Node(string name, DateTimeOffset at, int vms)
    {
        var gpu = new GpuInventory("gpu0", "PCI\\gpu0", "NVIDIA", "A2", 16384, "OK", 0, GpuAssignedStatus.Partitioned, [16, 8, 4, 2], PartitionsPerNode, null, []);
        var list = Enumerable.Range(0, vms)
            .Select(i => new VmInventory($"{name}-vm{i}", Guid.NewGuid(), VmPowerState.Running, name, [], true, OfflineAction.ForceShutdown, null))
            .ToList();
        return new NodeInventory(name, at, new HostFacts("26100", true, true), [gpu], list);
    }
}
