using FsCheck.Xunit;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

/// <summary>
/// The reserve holds after every grant (issue 18), whichever of two control-plane instances sharing the tables grants,
/// with each admission working from the ledgers and holds row its instance last saw: any interleaving of grants,
/// results (successes and failures, taken in by either instance) and reads of the holds row (what a sibling admission
/// of the same instance does between another's reads) leaves the free partitions, read fresh, at or above the
/// reserve after every accepted grant — and a grant is refused for the reserve only when it really would break it.
/// With holds never settled by the ledger (SettledHolds ignored) it fails within a few dozen cases; with views trusted
/// below their watermark it fails in about half the runs of 300 cases (the interleaving is rare):
/// <see cref="ReserveAdmissionTests.A_view_older_than_a_dropped_hold_is_read_again_before_a_grant"/> pins that one.
/// </summary>
public sealed class ReservePropertyTests
{
    private static readonly string[] Nodes = ["node1", "node2", "node3"];

    [Property(MaxTest = 300, EndSize = 200)]
    public async Task The_reserve_holds_after_every_grant_from_either_instance(byte layout, int[] script)
    {
        var tables = Backends.InMemory();
        using var a = new ControlPlaneHarness(tables, "a-");
        using var b = new ControlPlaneHarness(tables, "b-");
        ControlPlaneHarness[] planes = [a, b];
        var truth = new RequestStore(tables, TimeProvider.System);
        // 4 partitions per node, 0..2 of them held by GPU VMs from the layout; the policy keeps 1..4 free.
        var keep = 1 + (layout % 4);
        await a.SeedAsync([.. Nodes.Select((n, i) => Sample.Node(n, Sample.Start, partitionCount: 4, withPartition: (layout >> (2 + (2 * i))) % 3, without: 4))]);
        await a.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Reserve: ReserveMode.Fixed, ReservePartitions: keep), Sample.Start, "tester", null, default);
        var inFlight = new List<PartitionRequest>();

        foreach (var (step, index) in (script ?? []).Take(40).Select((s, i) => (s, i)))
        {
            // FsCheck's integers are small and often repeat: spread them (with their position) over instances, nodes and VMs.
            var pick = (int)(unchecked((uint)(step + (7919 * index)) * 2654435761u) >> 1);
            var plane = planes[pick % 2];
            switch (pick / 2 % 5)
            {
                case 0 or 1:
                    var vm = $"{Nodes[pick / 10 % Nodes.Length]}-vm{pick / 30 % 4}";
                    var before = await FreeAsync(truth);
                    var outcome = await plane.AssignAsync(vm);
                    if (!outcome.IsRejected)
                    {
                        inFlight.Add(outcome.Request);
                        var after = await FreeAsync(truth);
                        Assert.True(after >= keep, $"{vm} granted by {outcome.Request.Id[..2]} left {after} free, below the {keep} kept");
                    }
                    else if (outcome.Request.Error?.Code == RequestCodes.HeadroomReserved)
                    {
                        Assert.True(before - 1 < keep, $"{vm} refused by {outcome.Request.Id[..2]} with {before} free and {keep} kept: {outcome.Request.Error.Message}");
                    }

                    break;
                case 2 when inFlight.Count > 0:
                    var done = inFlight[pick / 10 % inFlight.Count];
                    inFlight.Remove(done);
                    await plane.Intake.HandleAsync(plane.Result(done, pick / 10 % 3 == 0 ? CommandOutcome.Failed : CommandOutcome.Succeeded), default);
                    break;
                case 3:
                    await plane.Store.GetCapacityHoldsAsync(Sample.Cluster, default);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Free partitions across the cluster as the tables say now, less assignments in flight.</summary>
    private static async Task<int> FreeAsync(RequestStore truth)
    {
        var free = 0;
        foreach (var node in Nodes)
        {
            free += (await truth.GetLedgerAsync(Sample.Cluster, node, default))?.Ledger.AvailablePartitions ?? 0;
        }

        return free;
    }
}
