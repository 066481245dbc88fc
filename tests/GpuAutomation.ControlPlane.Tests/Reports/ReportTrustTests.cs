using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Nodes;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Reports;

/// <summary>
/// Issue 16's observed failures, each reproduced through the real core: a report counts only for the node that sent
/// it, only from a registered node, only when its clock is sane; a refusal changes nothing and is recorded.
/// </summary>
public sealed class ReportTrustTests : IDisposable
{
    private readonly ControlPlaneHarness _plane = new(Backends.InMemory());

    public void Dispose() => _plane.Dispose();

    private static Message Snapshot(string cluster, string envelopeNode, NodeInventory body)
        => Message.Create(new InventorySnapshot(body), "snap-" + Guid.NewGuid().ToString("N"), cluster, envelopeNode, body.TakenAt);

    private static Message From(Message report, string cluster, string node)
        => report with { Envelope = report.Envelope with { Cluster = cluster, Node = node } };

    private async Task<RejectedMessage> SingleRejectionAsync(string code)
    {
        var rejected = Assert.Single(await _plane.Get<RejectedMessageStore>().RecentAsync(10, default));
        Assert.Equal(code, rejected.Code);
        return rejected;
    }

    private async Task<PartitionRequest> DispatchedAssignAsync(string vm)
    {
        var outcome = await _plane.AssignAsync(vm);
        Assert.Equal(RequestStatus.Dispatched, outcome.Request.Status);
        return outcome.Request;
    }

    [Fact]
    public async Task A_result_from_another_node_completes_nothing_and_is_recorded_as_sender_mismatch()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var request = await DispatchedAssignAsync("node2-vm0");
        var forged = From(_plane.Result(request, CommandOutcome.Failed), Sample.Cluster, "node1");

        var verdict = await _plane.Intake.ReceiveAsync(forged, "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, verdict.Refusal?.Code);
        Assert.Equal(RequestStatus.Dispatched, (await _plane.Requests.GetAsync(request.Id, default))!.Status);
        var rejected = await SingleRejectionAsync(ReportRefusalCodes.SenderMismatch);
        Assert.Contains(request.Id, rejected.Reason, StringComparison.Ordinal);

        // The genuine result still completes it.
        Assert.True(await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Succeeded), default));
        Assert.Equal(RequestStatus.Succeeded, (await _plane.Requests.GetAsync(request.Id, default))!.Status);
    }

    [Fact]
    public async Task An_ignored_result_does_not_replace_the_inventory_through_its_inventory_after()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, without: 12));
        var request = await DispatchedAssignAsync("node1-vm0");
        Assert.True(await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Succeeded), default));
        _plane.Time.Advance(TimeSpan.FromMinutes(1));

        // A second result of the completed request (or of a request that doesn't exist) carrying one ghost VM.
        var ghost = Sample.Node("node1", _plane.Time.GetUtcNow(), without: 1) with { Vms = [Sample.Vm("ghost", "node1")] };
        Assert.False(await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Succeeded, ghost), default));
        var unknown = request with { Id = "no-such-request" };
        Assert.False(await _plane.Intake.HandleAsync(_plane.Result(unknown, CommandOutcome.Succeeded, ghost), default));

        var node = (await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!;
        Assert.Equal(12, node.Vms.Count);
        Assert.DoesNotContain(node.Vms, v => v.Name == "ghost");
    }

    [Fact]
    public async Task A_result_whose_inventory_after_names_another_node_is_refused()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, without: 12), Sample.Node("node2", Sample.Start));
        var request = await DispatchedAssignAsync("node2-vm0");
        var otherNode = Sample.Node("node1", Sample.Start.AddSeconds(1), without: 1);

        var verdict = await _plane.Intake.ReceiveAsync(_plane.Result(request, CommandOutcome.Succeeded, otherNode), "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, verdict.Refusal?.Code);
        Assert.Equal(12, (await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Vms.Count);
        Assert.Equal(RequestStatus.Dispatched, (await _plane.Requests.GetAsync(request.Id, default))!.Status);
    }

    [Fact]
    public async Task A_snapshot_whose_body_names_another_node_creates_no_phantom_node()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start));

        var verdict = await _plane.Intake.ReceiveAsync(Snapshot(Sample.Cluster, "node1", Sample.Node("node3", Sample.Start)), "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, verdict.Refusal?.Code);
        Assert.Null(await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node3", default));
        await SingleRejectionAsync(ReportRefusalCodes.SenderMismatch);
    }

    [Fact]
    public async Task A_vm_removed_event_from_another_node_hides_nothing()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start));
        var removed = new ClusterEvent(ClusterEventKind.VmRemoved, "node1", Sample.Start.AddMinutes(1), "node1-vm0", Sample.VmId("node1-vm0"));
        var fromNode2 = Message.Create(removed, "evt-1", Sample.Cluster, "node2", removed.OccurredAt);

        var verdict = await _plane.Intake.ReceiveAsync(fromNode2, "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, verdict.Refusal?.Code);
        Assert.Contains((await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Vms, v => v.Name == "node1-vm0");
    }

    [Fact]
    public async Task A_snapshot_of_an_unregistered_cluster_or_node_creates_nothing_and_an_assign_there_stays_refused()
    {
        var unknownCluster = await _plane.Intake.ReceiveAsync(Snapshot("clusx", "node1", Sample.Node("node1", Sample.Start)), "test", "broker-1", default);
        var unknownNode = await _plane.Intake.ReceiveAsync(Snapshot(Sample.Cluster, "node7", Sample.Node("node7", Sample.Start)), "test", "broker-2", default);

        Assert.Equal(ReportRefusalCodes.UnregisteredNode, unknownCluster.Refusal?.Code);
        Assert.Equal(ReportRefusalCodes.UnregisteredNode, unknownNode.Refusal?.Code);
        Assert.Empty(await _plane.Inventory.ListClustersAsync(default));
        var assign = await _plane.SubmitAsync(PartitionRequestSubmission.Assign("clusx", "node1-vm0"));
        Assert.True(assign.IsRejected);
        Assert.Empty(_plane.Bus.Published);
        var recorded = await _plane.Get<RejectedMessageStore>().RecentAsync(10, default);
        Assert.Equal(["broker-1", "broker-2"], recorded.Select(r => r.MessageId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_operator_registered_node_reports_and_an_unregistered_one_no_longer_does()
    {
        var registry = _plane.Get<NodeRegistry>();
        await registry.RegisterAsync("clus2", "nodeA", "3f1c7a2e-0000-4000-8000-000000000001", Sample.Start, default);

        Assert.True(await _plane.Intake.HandleAsync(Snapshot("clus2", "nodeA", Sample.Node("nodeA", Sample.Start)), default));
        Assert.Equal("3f1c7a2e-0000-4000-8000-000000000001", (await registry.GetAsync("CLUS2", "nodea", default))?.PrincipalId);

        Assert.True(await registry.RemoveAsync("clus2", "nodeA", default));
        var verdict = await _plane.Intake.ReceiveAsync(Snapshot("clus2", "nodeA", Sample.Node("nodeA", Sample.Start.AddMinutes(1))), "test", null, default);
        Assert.Equal(ReportRefusalCodes.UnregisteredNode, verdict.Refusal?.Code);

        // A configured node can't be removed through the registry: the configuration names it.
        Assert.False(await registry.RemoveAsync(Sample.Cluster, "node1", default));
        Assert.NotNull(await registry.GetAsync(Sample.Cluster, "node1", default));
    }

    [Fact]
    public async Task A_future_dated_snapshot_is_refused_so_genuine_ones_still_apply_and_the_skew_is_noted()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, without: 4));
        var future = Sample.Node("node1", new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), without: 1);

        var verdict = await _plane.Intake.ReceiveAsync(Snapshot(Sample.Cluster, "node1", future), "test", null, default);

        Assert.Equal(ReportRefusalCodes.ClockSkew, verdict.Refusal?.Code);
        Assert.True((await _plane.Get<NodeRegistry>().GetAsync(Sample.Cluster, "node1", default))!.ClockSkew > TimeSpan.FromDays(365));
        _plane.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await _plane.Intake.HandleAsync(Snapshot(Sample.Cluster, "node1", Sample.Node("node1", _plane.Time.GetUtcNow(), without: 2)), default));
        Assert.Equal(2, (await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Vms.Count);
        Assert.Equal(_plane.Time.GetUtcNow(), (await _plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger.AsOf);

        // A report within the tolerance clears the note.
        Assert.Null((await _plane.Get<NodeRegistry>().GetAsync(Sample.Cluster, "node1", default))!.ClockSkew);
    }

    [Fact]
    public async Task A_snapshot_a_few_seconds_ahead_is_accepted()
    {
        Assert.True(await _plane.Intake.HandleAsync(Snapshot(Sample.Cluster, "node1", Sample.Node("node1", Sample.Start.AddMinutes(4))), default));
    }

    [Fact]
    public async Task A_snapshot_listing_a_vm_id_twice_is_refused_at_intake_with_the_id()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, without: 3));
        var twice = Sample.Node("node1", Sample.Start.AddMinutes(1), without: 0) with { Vms = [Sample.Vm("a", "node1"), Sample.Vm("a", "node1") with { Name = "b" }] };

        var verdict = await _plane.Intake.ReceiveAsync(Snapshot(Sample.Cluster, "node1", twice), "test", null, default);

        Assert.Equal(ReportRefusalCodes.DuplicateVmId, verdict.Refusal?.Code);
        Assert.Contains(Sample.VmId("a").ToString(), verdict.Refusal!.Reason, StringComparison.Ordinal);
        Assert.Equal(3, (await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Vms.Count);
    }

    [Fact]
    public async Task A_late_result_from_the_commands_node_updates_a_timed_out_request_to_what_the_host_did()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start));
        var request = await DispatchedAssignAsync("node1-vm0");
        _plane.Time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await _plane.Timeouts.TimeOutStaleAsync(default));
        Assert.Equal(RequestStatus.TimedOut, (await _plane.Requests.GetAsync(request.Id, default))!.Status);

        Assert.True(await _plane.Intake.HandleAsync(_plane.Result(request, CommandOutcome.Succeeded), default));

        var updated = (await _plane.Requests.GetAsync(request.Id, default))!;
        Assert.Equal(RequestStatus.Succeeded, updated.Status);
        Assert.Null(updated.Error);
        Assert.Contains(updated.Warnings, w => w.Code == RequestCodes.LateResult);

        // Another node's "late result" still changes nothing.
        Assert.False(await _plane.Intake.HandleAsync(From(_plane.Result(request, CommandOutcome.Failed), Sample.Cluster, "node2"), default));
        Assert.Equal(RequestStatus.Succeeded, (await _plane.Requests.GetAsync(request.Id, default))!.Status);
    }

    [Fact]
    public async Task Fifty_parallel_assigns_of_one_vm_accept_exactly_one_and_answer_the_rest_vm_busy()
    {
        await _plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 16, without: 4));
        using var gate = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, 50).Select(async _ =>
        {
            await gate.WaitAsync();
            return await _plane.Requests.SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default);
        }).ToList();
        gate.Release(50);
        var outcomes = await Task.WhenAll(tasks);

        Assert.Single(outcomes, o => !o.IsRejected);
        Assert.All(outcomes.Where(o => o.IsRejected), o => Assert.Equal(RequestCodes.VmBusy, o.Request.Error?.Code));
    }
}
