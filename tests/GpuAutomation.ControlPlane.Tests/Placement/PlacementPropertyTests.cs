using FsCheck.Xunit;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Tests.Support;

namespace GpuAutomation.ControlPlane.Tests.Placement;

/// <summary>
/// Placement never over-allocates (issue 18): any interleaving of assigns (placed or not), moves that succeed or fail
/// and assignments that succeed or fail keeps every node's held plus reserved partitions within its capacity, and a
/// placed request ends on the node it was placed on or gives its partition back.
/// </summary>
public sealed class PlacementPropertyTests
{
    private const int Capacity = 4;
    private static readonly string[] Nodes = ["node1", "node2", "node3"];

    [Property(MaxTest = 60)]
    public async Task Placement_never_allocates_past_a_node_s_capacity(byte fillSeed, bool pack, int[] script)
    {
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        // node1 full, node2 and node3 filled 0..3 of 4 from the seed; 3 VMs without a partition per node.
        var held = new Dictionary<string, int>(StringComparer.Ordinal) { ["node1"] = Capacity, ["node2"] = fillSeed % Capacity, ["node3"] = fillSeed / Capacity % Capacity };
        await plane.SeedAsync([.. Nodes.Select(n => Sample.Node(n, Sample.Start, partitionCount: Capacity, withPartition: held[n], without: 3))]);
        await plane.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([], Moves: MovePolicy.WhenOff, Strategy: pack ? PlacementStrategy.Pack : PlacementStrategy.Spread), Sample.Start, "tester", null, default);
        var waiting = Nodes.SelectMany(n => Enumerable.Range(0, 3).Select(i => $"{n}-vm{i}")).ToList();
        var moves = new List<PartitionRequest>();
        var assigns = new List<PartitionRequest>();

        foreach (var step in (script ?? []).Take(30))
        {
            var pick = step & 0x7fffffff;
            switch (pick % 4)
            {
                case 0 or 1 when waiting.Count > 0:
                    var vm = waiting[pick / 4 % waiting.Count];
                    waiting.Remove(vm);
                    var outcome = await plane.AssignAsync(vm);
                    if (outcome.IsRejected)
                    {
                        Assert.Equal(RequestCodes.NoFreePartition, outcome.Request.Error!.Code);
                    }
                    else if (outcome.Request.Placement is { } placement)
                    {
                        Assert.NotEqual(placement.FromNode, placement.ToNode);
                        moves.Add((await plane.Requests.GetAsync(placement.MoveRequestId, default))!);
                        assigns.Add(outcome.Request);
                    }
                    else
                    {
                        assigns.Add(outcome.Request);
                    }

                    break;
                case 2 when moves.Count > 0:
                    var move = moves[pick / 4 % moves.Count];
                    moves.Remove(move);
                    var succeeded = pick / 4 % 3 != 0;
                    await plane.Intake.HandleAsync(MoveResult(plane, move, succeeded), default);
                    await plane.DispatchWaitingAsync();
                    break;
                case 3:
                    // Finish an assignment that was sent (those still waiting for their move have no command yet).
                    var sent = new List<PartitionRequest>();
                    foreach (var a in assigns)
                    {
                        if (await plane.Requests.GetAsync(a.Id, default) is { CommandId: not null, IsTerminal: false } current)
                        {
                            sent.Add(current);
                        }
                    }

                    if (sent.Count > 0)
                    {
                        var done = sent[pick / 4 % sent.Count];
                        var ok = pick / 4 % 4 != 0;
                        await plane.Intake.HandleAsync(plane.Result(done, ok ? CommandOutcome.Succeeded : CommandOutcome.Failed), default);
                        if (ok)
                        {
                            held[done.Node]++;
                        }
                    }

                    break;
                default:
                    break;
            }

            foreach (var node in Nodes)
            {
                var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, node, default))!.Ledger;
                Assert.True(held[node] + ledger.ReservedPartitions <= Capacity, $"{node}: {held[node]} held + {ledger.ReservedPartitions} reserved > {Capacity}");
            }
        }

        // Every placed request ended on its target or is still under way; a failed move left nothing reserved for it.
        foreach (var a in assigns)
        {
            var current = (await plane.Requests.GetAsync(a.Id, default))!;
            if (current.Status == RequestStatus.Failed && current.Error!.Code == RequestCodes.MoveFailed)
            {
                var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, current.Node, default))!.Ledger;
                Assert.DoesNotContain(ledger.Reservations, r => r.RequestId == current.Id);
            }
        }
    }

    private static Message MoveResult(ControlPlaneHarness plane, PartitionRequest move, bool succeeded)
    {
        var at = plane.Time.GetUtcNow();
        var body = new CommandResult(
            move.CommandId!,
            MessageTypes.MoveVm,
            succeeded ? CommandOutcome.Succeeded : CommandOutcome.Failed,
            [],
            succeeded ? null : new CommandError(CommandErrorCodes.ClusterMoveFailed, "The cluster did not move the group.", "move-cluster-group", null),
            null,
            at,
            at,
            succeeded ? new VmPlacement(move.VmName!, move.VmId!.Value, move.Node, move.Placement!.ToNode, MoveMethod.StopMoveStart, VmPowerState.Off, "shut down and moved") : null);
        return Message.Create(body, "result-" + Guid.NewGuid().ToString("N"), move.Cluster, move.Node, at, move.Id);
    }
}
