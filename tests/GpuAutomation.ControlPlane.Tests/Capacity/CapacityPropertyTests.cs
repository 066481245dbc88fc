using FsCheck.Xunit;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Tests.Capacity;

/// <summary>
/// Any interleaving of assigns, unassigns, successes, failures and timeouts on a node never has more partitions
/// held or reserved than the node has, and every request is stored.
/// </summary>
public sealed class CapacityPropertyTests
{
    private const int Vms = 8;

    [Property(MaxTest = 60)]
    public async Task Accepted_assignments_never_exceed_capacity(byte capacitySeed, int[] script)
    {
        var capacity = 1 + (capacitySeed % 4);
        using var plane = new ControlPlaneHarness(Backends.InMemory());
        await plane.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: capacity, without: Vms));
        var holders = new HashSet<string>(StringComparer.Ordinal);
        var inFlight = new Dictionary<string, PartitionRequest>(StringComparer.Ordinal);
        var submitted = 0;

        foreach (var step in (script ?? []).Take(40))
        {
            var vm = $"node1-vm{(step & 0x7fffffff) % Vms}";
            switch ((step & 0x7fffffff) / Vms % 5)
            {
                case 0 or 1:
                    submitted++;
                    var outcome = holders.Contains(vm)
                        ? await plane.SubmitAsync(PartitionRequestSubmission.Unassign(Sample.Cluster, vm))
                        : await plane.AssignAsync(vm);
                    if (!outcome.IsRejected)
                    {
                        inFlight[vm] = outcome.Request;
                    }

                    break;
                case 2 when inFlight.Remove(vm, out var done):
                    await plane.Intake.HandleAsync(plane.Result(done, CommandOutcome.Succeeded), default);
                    if (done.Action == PartitionAction.Assign)
                    {
                        holders.Add(vm);
                    }
                    else
                    {
                        holders.Remove(vm);
                    }

                    break;
                case 3 when inFlight.Remove(vm, out var failed):
                    await plane.Intake.HandleAsync(plane.Result(failed, CommandOutcome.Failed), default);
                    break;
                case 4:
                    plane.Time.Advance(TimeSpan.FromMinutes(11));
                    await plane.Timeouts.TimeOutStaleAsync(default);
                    foreach (var (name, request) in inFlight.ToList())
                    {
                        if ((await plane.Requests.GetAsync(request.Id, default))!.Status == RequestStatus.TimedOut)
                        {
                            inFlight.Remove(name);
                        }
                    }

                    break;
                default:
                    break;
            }

            var assignsInFlight = inFlight.Values.Count(r => r.Action == PartitionAction.Assign);
            Assert.True(holders.Count + assignsInFlight <= capacity, $"{holders.Count} held + {assignsInFlight} reserved > {capacity}");
            var ledger = (await plane.Store.GetLedgerAsync(Sample.Cluster, "node1", default))!.Ledger;
            Assert.Equal(inFlight.Count, ledger.Reservations.Count);
        }

        var stored = await plane.Requests.ListAsync(new RequestListQuery(Cluster: Sample.Cluster, PageSize: 1000), default);
        Assert.Equal(submitted, stored.Requests.Count);
    }
}
