using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Reports;

/// <summary>
/// Issue 16, item 4: a node's snapshots are ordered by the agent's per-start sequence, not by the host's wall clock
/// alone, so a clock corrected backwards doesn't freeze the node's inventory and a stale snapshot doesn't win.
/// </summary>
public sealed class SnapshotOrderTests : IDisposable
{
    private static readonly Guid FirstStart = Guid.Parse("a1a1a1a1-0000-4000-8000-000000000001");
    private static readonly Guid SecondStart = Guid.Parse("b2b2b2b2-0000-4000-8000-000000000002");
    private readonly ControlPlaneHarness _plane = new(Backends.InMemory());

    public void Dispose() => _plane.Dispose();

    private async Task<bool> ReportAsync(Guid start, long sequence, DateTimeOffset takenAt, int vms)
    {
        var inventory = Sample.Node("node1", takenAt, without: vms) with { AgentStart = start, Sequence = sequence };
        var message = Message.Create(new InventorySnapshot(inventory), $"snap-{start:N}-{sequence}-{vms}", Sample.Cluster, "node1", _plane.Time.GetUtcNow());
        var verdict = await _plane.Intake.ReceiveAsync(message, "test", null, default);
        Assert.Null(verdict.Refusal);
        return verdict.Changed;
    }

    private async Task<int> StoredVmCountAsync() => (await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default))!.Vms.Count;

    [Fact]
    public async Task Within_one_start_the_later_sequence_wins_even_when_its_clock_went_backwards()
    {
        var now = _plane.Time.GetUtcNow();
        await ReportAsync(FirstStart, 1, now.AddMinutes(4), vms: 3);

        // The host's clock was 4 minutes fast and is corrected: the next snapshot is dated earlier but is the newer one.
        await ReportAsync(FirstStart, 2, now, vms: 5);

        Assert.Equal(5, await StoredVmCountAsync());
    }

    [Fact]
    public async Task A_stale_snapshot_of_the_same_start_is_ignored_whatever_its_date()
    {
        var now = _plane.Time.GetUtcNow();
        await ReportAsync(FirstStart, 2, now, vms: 5);

        // Sequence 1 delivered late (redelivery), dated later by a clock that ran ahead.
        await ReportAsync(FirstStart, 1, now.AddMinutes(3), vms: 3);

        Assert.Equal(5, await StoredVmCountAsync());
    }

    [Fact]
    public async Task A_new_start_replaces_the_old_ones_snapshot_even_dated_earlier()
    {
        var now = _plane.Time.GetUtcNow();
        await ReportAsync(FirstStart, 7, now.AddMinutes(4), vms: 3);

        await ReportAsync(SecondStart, 1, now, vms: 2);

        Assert.Equal(2, await StoredVmCountAsync());
    }

    [Fact]
    public async Task Snapshots_of_agents_that_stamp_no_sequence_are_ordered_by_time_as_before()
    {
        var now = _plane.Time.GetUtcNow();
        await _plane.SeedAsync(Sample.Node("node1", now, without: 5));

        await _plane.SeedAsync(Sample.Node("node1", now.AddMinutes(-1), without: 3));

        Assert.Equal(5, await StoredVmCountAsync());
    }
}
